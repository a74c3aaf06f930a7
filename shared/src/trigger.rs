//! EventBridge input -> [`Trigger`]: which cluster or instance a tick was asked for, and why.

/// RDS DB instance event IDs that can change a member's availability, and so start a tick.
/// The EventBridge rule in `infra/template.yaml` matches exactly these (a test checks both agree).
pub const HANDLED_EVENT_IDS: &[&str] = &[
    // availability
    "RDS-EVENT-0004", // DB instance shutdown
    "RDS-EVENT-0006", // DB instance restarted
    "RDS-EVENT-0022", // error restarting mysql
    "RDS-EVENT-0221", // storage-full shutdown
    // notification
    "RDS-EVENT-0087", // DB instance stopped
    "RDS-EVENT-0088", // DB instance started
    "RDS-EVENT-0154", // started automatically after the maximum stopped time
    // failover
    "RDS-EVENT-0013", // Multi-AZ failover started
    "RDS-EVENT-0015", // Multi-AZ failover to standby complete
    "RDS-EVENT-0049", // Multi-AZ failover completed
    "RDS-EVENT-0050", // Multi-AZ activation started
    "RDS-EVENT-0051", // Multi-AZ activation completed
    "RDS-EVENT-0065", // recovered from partial failover
    // recovery
    "RDS-EVENT-0020", // recovery started
    "RDS-EVENT-0021", // recovery complete
    // failure
    "RDS-EVENT-0031", // instance failed
    "RDS-EVENT-0035", // incompatible parameters
    "RDS-EVENT-0036", // incompatible network
    "RDS-EVENT-0188", // upgrade impossible / rolled back
    // maintenance
    "RDS-EVENT-0026", // applying off-line patches
    "RDS-EVENT-0027", // finished applying off-line patches
    "RDS-EVENT-0047", // instance patched
    "RDS-EVENT-0266", // upgrade downtime started
    "RDS-EVENT-0267", // upgrade started
    "RDS-EVENT-0268", // upgrade finished
    "RDS-EVENT-0270", // upgrade failed and rolled back
];

/// Parameter group event: "Updated parameter `name` to `value`" (seeds, group name edits).
pub const PARAMETER_GROUP_EVENT_ID: &str = "RDS-EVENT-0037";
