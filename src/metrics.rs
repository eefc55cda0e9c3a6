//! Prometheus metrics of one server: requests per route and status, their latency, and the
//! database pool. Served at `/metrics` with the SQL statement counters.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// A request's route: the method and the path template, never the path itself (ids and
/// search terms would make every request a series of its own).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

/// A finished request: its route and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResponseLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

/// The server's metrics, registered once per server.
pub struct HttpMetrics {
    registry: Registry,
    requests: Family<ResponseLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 16,
    ))
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("dossier");
        let requests = Family::<ResponseLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let in_flight = Gauge::default();
        let pool_size = Gauge::default();
        let pool_idle = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            in_flight.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections in the pool",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections in the pool",
            pool_idle.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
            pool_size,
            pool_idle,
        }
    }
}

impl HttpMetrics {
    /// A request started.
    pub fn started(&self) {
        self.in_flight.inc();
    }

    /// A request finished with `status` after `seconds`.
    pub fn finished(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.in_flight.dec();
        self.requests
            .get_or_create(&ResponseLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The pool's state, read at each scrape.
    pub fn pool(&self, size: u32, idle: usize) {
        self.pool_size.set(i64::from(size));
        self.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
