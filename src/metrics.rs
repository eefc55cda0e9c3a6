//! Prometheus metrics of one server: requests per route and status, their latency, the
//! database pool, imports and background jobs. Served at `/metrics` with the SQL statement
//! counters.

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

/// An import that ended: what it imported and how it ended (`completed`, `failed`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ImportLabels {
    pub kind: String,
    pub outcome: String,
}

/// A run of a background job (`refit`, `alerts`) and how it ended (`ok`, `failed`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobRunLabels {
    pub job: String,
    pub outcome: String,
}

/// What an import imported.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// A background job.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job: String,
}

/// The server's metrics, registered once per server.
pub struct HttpMetrics {
    registry: Registry,
    imports_running: Gauge,
    imports_finished: Family<ImportLabels, Counter>,
    import_rows: Family<KindLabels, Counter>,
    job_runs: Family<JobRunLabels, Counter>,
    job_last_success: Family<JobLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
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
        let imports_running = Gauge::default();
        let imports_finished = Family::<ImportLabels, Counter>::default();
        let import_rows = Family::<KindLabels, Counter>::default();
        let job_runs = Family::<JobRunLabels, Counter>::default();
        let job_last_success =
            Family::<JobLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "imports_running",
            "Imports running in this process now",
            imports_running.clone(),
        );
        registry.register(
            "imports_finished",
            "Imports this process ran to their end, by kind and outcome (completed, failed)",
            imports_finished.clone(),
        );
        registry.register(
            "import_rows",
            "Rows read by the imports this process completed, by kind",
            import_rows.clone(),
        );
        registry.register(
            "job_runs",
            "Runs of the background jobs (refit: models and score snapshot; alerts: rule \
             evaluation), by outcome",
            job_runs.clone(),
        );
        registry.register(
            "job_last_success_timestamp_seconds",
            "When each background job last ran without error (Unix time)",
            job_last_success.clone(),
        );
        Self {
            registry,
            imports_running,
            imports_finished,
            import_rows,
            job_runs,
            job_last_success,
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

    /// An import started running.
    pub fn import_started(&self) {
        self.imports_running.inc();
    }

    /// An import of `kind` ended: `rows` read when it completed, `None` when it failed.
    pub fn import_finished(&self, kind: &str, rows: Option<u64>) {
        self.imports_running.dec();
        let outcome = if rows.is_some() {
            "completed"
        } else {
            "failed"
        };
        self.imports_finished
            .get_or_create(&ImportLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        if let Some(rows) = rows {
            self.import_rows
                .get_or_create(&KindLabels {
                    kind: kind.to_owned(),
                })
                .inc_by(rows);
        }
    }

    /// A run of the background job `job` ended, well or not.
    pub fn job_ran(&self, job: &str, ok: bool) {
        self.job_runs
            .get_or_create(&JobRunLabels {
                job: job.to_owned(),
                outcome: if ok { "ok" } else { "failed" }.to_owned(),
            })
            .inc();
        if ok {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            self.job_last_success
                .get_or_create(&JobLabels {
                    job: job.to_owned(),
                })
                .set(now);
        }
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
