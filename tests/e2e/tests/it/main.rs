//! grkeeper's integration tests: one binary (one link) with a module per subject.
// Test helpers may panic with a message: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod act_actions;
mod alert_paging;
mod alert_sns;
mod aws_unreachable;
mod bridge;
mod endpoints_route53;
mod infra_functions;
mod infra_iam;
mod infra_parameters;
mod infra_rules;
mod journal_dynamo;
mod keeper_aws_faults;
mod keeper_delivery;
mod keeper_deployments;
mod keeper_maintenance;
mod keeper_playbooks;
mod keeper_refusals;
mod keeper_rolling;
mod keeper_safety;
mod keeper_sync;
mod lambda_watch;
mod moto_server;
mod observe_probe;
mod observe_rds;
mod sim_members;
mod template;
mod topology_eventbridge;
