//! Connection limits, total and per client address, shared by all threads.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct ConnectionLimits {
    max_total: usize,
    max_per_ip: usize,
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// Which limit refused a connection, for the 421 text and the log.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Total,
    PerIp,
}

/// Holds one connection's place; dropping it gives the place back.
pub(crate) struct Slot {
    limits: Arc<super::Shared>,
    ip: IpAddr,
}

impl ConnectionLimits {
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        ConnectionLimits {
            max_total,
            max_per_ip,
            total: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
        }
    }

    pub fn acquire(shared: &Arc<super::Shared>, ip: IpAddr) -> Result<Slot, Refused> {
        let limits = &shared.limits;
        if limits.total.fetch_add(1, Ordering::AcqRel) >= limits.max_total {
            limits.total.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::Total);
        }
        let mut per_ip = super::lock(&limits.per_ip);
        let count = per_ip.entry(ip).or_insert(0);
        if *count >= limits.max_per_ip {
            drop(per_ip);
            limits.total.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::PerIp);
        }
        *count += 1;
        Ok(Slot {
            limits: shared.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let limits = &self.limits.limits;
        let mut per_ip = super::lock(&limits.per_ip);
        if let Some(count) = per_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                per_ip.remove(&self.ip);
            }
        }
        drop(per_ip);
        limits.total.fetch_sub(1, Ordering::AcqRel);
    }
}
