//! Per-client rate limiting of the public service: a token bucket per client IP address.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The limiter, shared by every connection.
#[derive(Clone)]
pub(crate) struct RateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    exempt_loopback: bool,
}

impl RateLimit {
    /// `per_sec` calls a second per client address with bursts of `burst` (both at least 1).
    pub(crate) fn new(per_sec: u32, burst: u32, exempt_loopback: bool) -> Self {
        let per_sec = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_sec).allow_burst(burst),
            )),
            exempt_loopback,
        }
    }

    /// Forgets clients whose bucket is full again (bounds the limiter's memory); call it now and
    /// then.
    pub(crate) fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

impl Interceptor for RateLimit {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let ip = request
            .remote_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        if self.exempt_loopback && ip.is_loopback() {
            return Ok(request);
        }
        self.limiter.check_key(&ip).map_err(|_| {
            Status::resource_exhausted(format!(
                "rate limit for {ip} exceeded (api.rate_limit_per_sec); retry later"
            ))
        })?;
        Ok(request)
    }
}
