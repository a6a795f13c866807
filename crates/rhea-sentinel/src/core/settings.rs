//! The per-master settings of sentinel.conf (`sentinel down-after-milliseconds …`,
//! `failover-timeout`, scripts, auth, renames) and the two epochs, copied between the
//! loaded [`MasterConfig`] and the live [`MasterState`] here and nowhere else.
//!
//! Why two structs: the config model is what a file says (times as written, in `u64`
//! milliseconds; known replicas and sentinels as lines), the state is what the core runs
//! on (times in the core's `i64` clock, down-after on the instance because replicas and
//! peers share it, instances instead of lines). Keeping both conversions side by side
//! means a new setting is added in one file.

use super::instance::MasterState;
use crate::config::model::MasterConfig;

impl MasterState {
    /// Take the settings and epochs `mc` was loaded with (`sentinelHandleConfiguration`).
    pub(crate) fn apply_settings(&mut self, mc: &MasterConfig) {
        self.inst.down_after = mc.down_after_ms as i64;
        self.failover_timeout = mc.failover_timeout_ms as i64;
        self.parallel_syncs = mc.parallel_syncs;
        self.master_reboot_down_after = mc.master_reboot_down_after_ms as i64;
        self.auth_pass = mc.auth_pass.clone();
        self.auth_user = mc.auth_user.clone();
        self.notification_script = mc.notification_script.clone();
        self.client_reconfig_script = mc.client_reconfig_script.clone();
        self.renamed_commands = mc.renamed_commands.clone();
        self.config_epoch = mc.config_epoch;
        self.leader_epoch = mc.leader_epoch;
    }

    /// The master as `sentinel monitor` plus its settings and epochs would write it, at
    /// `host` `port` (the current address); known replicas and sentinels are the caller's.
    pub(crate) fn settings_config(&self, host: &str, port: u16) -> MasterConfig {
        let mut mc = MasterConfig::new(&self.inst.name, host, port, self.quorum);
        mc.down_after_ms = self.inst.down_after as u64;
        mc.failover_timeout_ms = self.failover_timeout as u64;
        mc.parallel_syncs = self.parallel_syncs;
        mc.master_reboot_down_after_ms = self.master_reboot_down_after as u64;
        mc.auth_pass = self.auth_pass.clone();
        mc.auth_user = self.auth_user.clone();
        mc.notification_script = self.notification_script.clone();
        mc.client_reconfig_script = self.client_reconfig_script.clone();
        mc.renamed_commands = self.renamed_commands.clone();
        mc.config_epoch = self.config_epoch;
        mc.leader_epoch = self.leader_epoch;
        mc
    }
}
