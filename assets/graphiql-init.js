// Starts GraphiQL on GET /graphql. A file rather than an inline script, so the page runs
// under its Content-Security-Policy (script-src 'self').
//
// The bearer token lives in the headers editor. GraphiQL keeps its state (tabs, headers,
// history) in the storage it is given; it gets this tab's sessionStorage, so the token
// survives a reload and is gone with the tab. Nothing is written to localStorage.
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# Dossier GraphQL. Sign in with POST /api/v1/auth/login,',
    '# put the access_token in Headers below (this tab only)',
    '# and run with Ctrl-Enter.',
    '{',
    '  customers(first: 5) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        id',
    '        displayName',
    '        email',
    '        phone',
    '        maskedFields',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  var DEFAULT_HEADERS = JSON.stringify(
    { Authorization: 'Bearer <token from POST /api/v1/auth/login>' },
    null,
    2,
  );

  // This tab's storage; where the browser refuses it, memory (never localStorage, which
  // GraphiQL falls back to when it is given nothing).
  function tabStorage() {
    try {
      var storage = window.sessionStorage;
      storage.setItem('graphiql:probe', '1');
      storage.removeItem('graphiql:probe');
      return storage;
    } catch (e) {
      var items = new Map();
      return {
        getItem: function (k) { return items.has(k) ? items.get(k) : null; },
        setItem: function (k, v) { items.set(k, String(v)); },
        removeItem: function (k) { items.delete(k); },
        clear: function () { items.clear(); },
        key: function (i) { return Array.from(items.keys())[i] || null; },
        get length() { return items.size; },
      };
    }
  }

  var props = {
    fetcher: GraphiQL.createFetcher({ url: '/graphql' }),
    storage: tabStorage(),
    defaultQuery: DEFAULT_QUERY,
    defaultHeaders: DEFAULT_HEADERS,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: 'headers',
  };
  // Links may carry a query: /graphql?query={me{email}}&variables={...}. Never headers,
  // so a token does not end up in a URL.
  var params = new URLSearchParams(window.location.search);
  if (params.has('query')) props.query = params.get('query');
  if (params.has('variables')) props.variables = params.get('variables');

  var root = document.getElementById('graphiql');
  document.body.style.margin = '0';
  root.style.height = '100vh';
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
