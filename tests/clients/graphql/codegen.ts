// graphql-codegen configuration (client preset, string documents for plain fetch).
// Run from tests/clients: `graphql-codegen --config graphql/codegen.ts`.
// DOSSIER_GRAPHQL_SCHEMA may point at another SDL file (default: the committed contract).
import type { CodegenConfig } from "@graphql-codegen/cli";

const schema = process.env.DOSSIER_GRAPHQL_SCHEMA ?? "../../schema/schema.graphql";

const config: CodegenConfig = {
  schema,
  documents: ["graphql/**/*.ts", "!graphql/generated/**", "!graphql/codegen.ts"],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    "graphql/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumType: "string-literal",
        strictScalars: true,
        // Every scalar of the schema (strictScalars): instants as RFC 3339 strings with `Z`,
        // dates as `YYYY-MM-DD`, UUIDs as strings; JSON is any value.
        scalars: {
          UUID: "string",
          DateTime: "string",
          Date: "string",
          JSON: "unknown",
        },
      },
    },
  },
};

export default config;
