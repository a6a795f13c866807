//! What a hello message changes (`sentinelProcessHelloMessage`): peer discovery
//! (`+sentinel`, `+sentinel-address-switch`, `+sentinel-invalid-addr`), epoch adoption
//! (`+new-epoch`), and configuration propagation: a higher master config epoch with a
//! different address is adopted (`+config-update-from`, `+switch-master`).

use super::instance::{Instance, Kind, Who};
use super::{Sentinel, close_links, failover};
use crate::hello::Hello;
use crate::io::LogLevel;

impl Sentinel {
    /// Process one hello payload, from a pub/sub message or a PUBLISH sent to us. The
    /// caller has already dropped messages carrying our own myid (pub/sub path only).
    pub(crate) fn process_hello(&mut self, payload: &str, now: i64) {
        let Some(h) = Hello::parse(payload) else { return };
        let Some(mi) = self.master_index(&h.master_name) else { return };
        let runid = h.sentinel_runid.clone();

        let names_peer = self.g.names(&h.sentinel_ip, h.sentinel_port);
        let mut si = self.masters[mi]
            .sentinels
            .iter()
            .position(|s| names_peer(&s.addr) && s.runid.as_deref() == Some(runid.as_str()));

        if si.is_none() {
            // A known runid at a new address: drop the old entry, re-add it below.
            let removed = self.remove_sentinel_by_runid(mi, &runid);
            if removed > 0 {
                let rest = format!(" ip {} port {} for {}", h.sentinel_ip, h.sentinel_port, runid);
                let m = &self.masters[mi];
                self.g.event_at(
                    LogLevel::Notice,
                    "+sentinel-address-switch",
                    m,
                    Who::Master,
                    true,
                    &rest,
                );
            } else if let Some(other) =
                self.masters[mi].sentinels.iter().position(|s| names_peer(&s.addr))
            {
                // Another runid claims this address: the old one is gone (restarted
                // without its config); forget it under every master.
                let m = &self.masters[mi];
                self.g.event_at(
                    LogLevel::Notice,
                    "+sentinel-invalid-addr",
                    m,
                    Who::Sentinel(other),
                    true,
                    "",
                );
                if let Some(obsolete) = m.sentinels[other].runid.clone() {
                    for i in 0..self.masters.len() {
                        self.remove_sentinel_by_runid(i, &obsolete);
                    }
                }
            }

            let known = self.masters[mi].sentinels.iter().any(|s| s.name == runid);
            let addr =
                if known { None } else { self.g.make_addr(&h.sentinel_ip, h.sentinel_port, true) };
            let m = &mut self.masters[mi];
            if let Some(addr) = addr {
                let mut inst =
                    Instance::new(Kind::Sentinel, runid.clone(), addr, m.inst.down_after, now);
                inst.runid = Some(runid.clone());
                m.sentinels.push(inst);
                let idx = m.sentinels.len() - 1;
                si = Some(idx);
                if removed == 0 {
                    self.g.event_at(LogLevel::Notice, "+sentinel", m, Who::Sentinel(idx), true, "");
                } else {
                    self.update_sentinel_address_in_all_masters(mi, idx);
                }
                self.g.flush();
            }
        }

        if h.current_epoch > self.g.current_epoch {
            self.g.current_epoch = h.current_epoch;
            self.g.flush();
            let rest = h.current_epoch.to_string();
            self.g.event_at(
                LogLevel::Warning,
                "+new-epoch",
                &self.masters[mi],
                Who::Master,
                false,
                &rest,
            );
        }

        let m = &mut self.masters[mi];
        if let Some(si) = si
            && m.config_epoch < h.master_config_epoch
        {
            // Redis 7.0 does not flush when only the epoch changes.
            m.config_epoch = h.master_config_epoch;
            if !self.g.addr_is(&m.inst.addr, &h.master_ip, h.master_port) {
                self.g.event_at(
                    LogLevel::Warning,
                    "+config-update-from",
                    m,
                    Who::Sentinel(si),
                    true,
                    "",
                );
                let old = m.inst.addr.clone();
                let rest = format!(
                    "{} {} {} {} {}",
                    m.inst.name,
                    self.g.shown(&old),
                    old.port,
                    h.master_ip,
                    h.master_port
                );
                self.g.event_at(LogLevel::Warning, "+switch-master", m, Who::Master, false, &rest);
                // `sentinelResetMasterAndChangeAddress` keeps the old address when the
                // new one cannot be made.
                if let Some(new) = self.g.make_addr(&h.master_ip, h.master_port, true) {
                    failover::reset_master_and_change_address(&mut self.g, m, new.clone(), now);
                    let g = &mut self.g;
                    failover::call_client_reconf_script(g, m, "observer", "start", &old, &new);
                }
            }
        }
        // The switch may have reordered nothing but a reset keeps sentinels, so the
        // index is still valid.
        if let Some(si) = si
            && let Some(s) = self.masters[mi].sentinels.get_mut(si)
        {
            s.last_hello_time = now;
        }
    }

    /// `removeMatchingSentinelFromMaster`: how many entries had this runid.
    fn remove_sentinel_by_runid(&mut self, mi: usize, runid: &str) -> usize {
        let m = &mut self.masters[mi];
        let mut removed = 0;
        let mut i = 0;
        while i < m.sentinels.len() {
            if m.sentinels[i].runid.as_deref() == Some(runid) {
                let mut gone = m.sentinels.remove(i);
                close_links(&mut self.g, &mut gone);
                removed += 1;
            } else {
                i += 1;
            }
        }
        removed
    }

    /// `sentinelUpdateSentinelAddressInAllMasters`: the same peer under other masters
    /// gets the new address; every matching link is dropped so it reconnects there.
    fn update_sentinel_address_in_all_masters(&mut self, mi: usize, si: usize) {
        let (runid, addr) = {
            let s = &self.masters[mi].sentinels[si];
            (s.runid.clone(), s.addr.clone())
        };
        let mut reconfigured = 0;
        for i in 0..self.masters.len() {
            let Some(j) = self.masters[i].sentinels.iter().position(|s| s.runid == runid) else {
                continue;
            };
            let s = &mut self.masters[i].sentinels[j];
            close_links(&mut self.g, s);
            if i == mi && j == si {
                continue;
            }
            s.addr = addr.clone();
            reconfigured += 1;
        }
        if reconfigured > 0 {
            let rest = format!(" {reconfigured} additional matching instances");
            let m = &self.masters[mi];
            self.g.event_at(
                LogLevel::Notice,
                "+sentinel-address-update",
                m,
                Who::Sentinel(si),
                true,
                &rest,
            );
        }
    }
}
