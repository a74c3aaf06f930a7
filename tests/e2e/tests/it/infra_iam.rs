//! The IAM policies of the deployed (SAM-translated) template: least privilege, checked.

use std::collections::BTreeSet;

use grkeeper_e2e::moto::{ACCOUNT_ID, REGION};
use grkeeper_e2e::tools;
use serde_json::{Value, json};

use crate::template::{self, Resolved};

/// Parameter sets that change the policies: the defaults (a created secret, every tagged
/// cluster, the default bus, no KMS), and everything set.
const SCENARIOS: &[&[(&str, &str)]] = &[&[], EVERYTHING_SET];
const EVERYTHING_SET: &[(&str, &str)] = &[
    ("Clusters", "orders,billing"),
    ("ClusterTagKey", "team:gr-cluster"),
    (
        "DatabaseSecretArn",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:gr-AbCdEf",
    ),
    (
        "DatabaseSecretKmsKeyArn",
        "arn:aws:kms:us-east-1:123456789012:key/1111-2222",
    ),
    (
        "TopicKmsKeyArn",
        "arn:aws:kms:us-east-1:123456789012:key/3333-4444",
    ),
    ("EventBusName", "ops-topology"),
    ("AlertEmail", "dba@example.com"),
    ("PagingHttpsEndpoint", "https://pager.example.com/hook"),
    ("Maintenance", "auto"),
];

/// Actions allowed on "*": EC2 Describe calls have no resource-level permissions, and Lambda
/// needs them to manage the functions' network interfaces in the VPC (Lambda developer guide).
const UNSCOPABLE: &[&str] = &["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"];

/// Actions allowed on every EC2 resource of the account and Region (`ec2:R:A:*/*`): Lambda
/// attaches the functions to the VPC with them, on network interfaces, subnets and security
/// groups that exist only once Lambda creates them, so AWS requires a wildcard resource (its
/// managed `AWSLambdaVPCAccessExecutionRole` grants them on "*"). No other action may name a
/// resource that is only wildcards.
const VPC_ATTACHMENT: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
];

#[test]
fn no_policy_allows_a_wildcard_action() {
    for scenario in SCENARIOS {
        let stack = template::resolved(scenario);
        for s in statements(&stack) {
            assert!(
                s.not_action.is_none(),
                "{}: NotAction grants everything else",
                s.origin
            );
            for action in &s.actions {
                assert!(
                    !action.contains('*'),
                    "{}: wildcard action {action}",
                    s.origin
                );
            }
        }
    }
}

#[test]
fn every_permission_is_scoped_to_a_resource_of_this_stack_account_and_region() {
    for scenario in SCENARIOS {
        let stack = template::resolved(scenario);
        for s in statements(&stack).iter().filter(|s| s.identity) {
            for resource in &s.resources {
                if resource == "*" {
                    let only_unscopable =
                        s.actions.iter().all(|a| UNSCOPABLE.contains(&a.as_str()));
                    assert!(only_unscopable, "{}: {:?} on \"*\"", s.origin, s.actions);
                    continue;
                }
                let parts: Vec<&str> = resource.splitn(6, ':').collect();
                let [arn, partition, service, region, account, rest] = parts[..] else {
                    panic!("{}: {resource} is not an ARN", s.origin)
                };
                // A configured member (reboot, claim): partition and account cannot be given per
                // item of a list parameter; the Region is pinned by the condition instead, and
                // the instance is named.
                if (partition, service, region, account) == ("*", "rds", "*", "*") {
                    let named = rest
                        .strip_prefix("db:")
                        .is_some_and(|id| !id.is_empty() && !id.contains('*'));
                    let pinned = s
                        .condition
                        .as_ref()
                        .is_some_and(|c| c["StringEquals"]["aws:RequestedRegion"] == REGION);
                    let member_actions = s.actions.iter().all(|a| {
                        [
                            "rds:RebootDBInstance",
                            "rds:ApplyPendingMaintenanceAction",
                            "rds:AddTagsToResource",
                        ]
                        .contains(&a.as_str())
                    });
                    assert!(
                        named && pinned && member_actions,
                        "{}: {resource} for {:?} without its Region pinned",
                        s.origin,
                        s.actions
                    );
                    continue;
                }
                assert_eq!(
                    (arn, partition, region, account),
                    ("arn", "aws", REGION, ACCOUNT_ID),
                    "{}: {resource}",
                    s.origin
                );
                assert!(!rest.is_empty(), "{}: {resource}", s.origin);
                // `*`, `*/*`: any resource of the service, not a type or a name.
                if rest.chars().all(|c| matches!(c, '*' | '/' | ':')) {
                    let only_vpc = s
                        .actions
                        .iter()
                        .all(|a| VPC_ATTACHMENT.contains(&a.as_str()));
                    assert!(
                        only_vpc,
                        "{}: {resource} names no resource, for {:?}",
                        s.origin, s.actions
                    );
                }
                for action in &s.actions {
                    assert!(
                        action.starts_with(&format!("{service}:")),
                        "{}: {action} on {resource}",
                        s.origin
                    );
                }
            }
        }
    }
}

#[test]
fn the_vpc_attachment_actions_are_granted_on_every_ec2_resource_of_the_account_and_region_only() {
    let stack = template::resolved(&[]);
    let every_ec2_resource = format!("arn:aws:ec2:{REGION}:{ACCOUNT_ID}:*/*");
    let all = statements(&stack);
    for action in VPC_ATTACHMENT {
        let resources: BTreeSet<&String> = all
            .iter()
            .filter(|s| s.identity && s.actions.iter().any(|a| a == action))
            .flat_map(|s| &s.resources)
            .collect();
        assert_eq!(resources, BTreeSet::from([&every_ec2_resource]), "{action}");
    }
}

#[test]
fn deploy_doc_names_every_action_granted_beyond_a_resource_of_the_stack() {
    let deploy = std::fs::read_to_string(tools::workspace_root().join("docs/deploy.md")).unwrap();
    let (_, permissions) = deploy
        .split_once("## Permissions")
        .expect("docs/deploy.md has a Permissions section");
    let permissions = permissions.split("\n## ").next().unwrap_or_default();
    for action in UNSCOPABLE.iter().chain(VPC_ATTACHMENT) {
        assert!(
            permissions.contains(&format!("`{action}`")),
            "docs/deploy.md \"Permissions\" does not explain {action}"
        );
    }
}

#[test]
fn each_action_reaches_only_its_own_resources() {
    for scenario in SCENARIOS {
        let stack = template::resolved(scenario);
        let p = |name: &str| stack.params[name].clone();
        let arn =
            |service: &str, rest: &str| format!("arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{rest}");
        let secret = if p("DatabaseSecretArn").is_empty() {
            arn("secretsmanager", "secret:DatabaseSecret-AbCdEf")
        } else {
            p("DatabaseSecretArn")
        };
        let mut expected = vec![
            ("sns:Publish", vec![arn("sns", "AlertTopic")]),
            ("dynamodb:GetItem", vec![arn("dynamodb", "table/Table")]),
            ("dynamodb:Query", vec![arn("dynamodb", "table/Table")]),
            ("secretsmanager:GetSecretValue", vec![secret]),
            (
                "events:PutEvents",
                vec![arn("events", &format!("event-bus/{}", p("EventBusName")))],
            ),
            ("sqs:SendMessage", vec![arn("sqs", "DeadLetterQueue")]),
            ("rds:DescribeDBInstances", vec![arn("rds", "db:*")]),
            (
                "rds:DescribePendingMaintenanceActions",
                vec![arn("rds", "db:*")],
            ),
            (
                "rds:RebootDBInstance",
                EVENT_INSTANCES.iter().map(|id| member_arn(id)).collect(),
            ),
            (
                "rds:AddTagsToResource",
                EVENT_INSTANCES.iter().map(|id| member_arn(id)).collect(),
            ),
            (
                "logs:PutLogEvents",
                vec![
                    arn(
                        "logs",
                        &format!("log-group:/aws/lambda/{}/rds-event:*", template::STACK),
                    ),
                    arn(
                        "logs",
                        &format!("log-group:/aws/lambda/{}/sweep:*", template::STACK),
                    ),
                ],
            ),
        ];
        if !p("TopicKmsKeyArn").is_empty() {
            expected.push(("kms:GenerateDataKey", vec![p("TopicKmsKeyArn")]));
        }
        let all = statements(&stack);
        for (action, resources) in expected {
            let granted: BTreeSet<&String> = all
                .iter()
                .filter(|s| s.identity && s.actions.iter().any(|a| a == action))
                .flat_map(|s| &s.resources)
                .collect();
            assert_eq!(
                granted,
                resources.iter().collect(),
                "{action} with {scenario:?}"
            );
        }
    }
}

#[test]
fn the_role_grants_exactly_the_actions_grkeeper_uses() {
    let base = [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "rds:DescribeDBInstances",
        "rds:DescribePendingMaintenanceActions",
        "rds:RebootDBInstance",
        "rds:AddTagsToResource",
        "sns:Publish",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "secretsmanager:GetSecretValue",
        "events:PutEvents",
        "sqs:SendMessage",
    ];
    // With keys, and with rolling maintenance on.
    let extra = [
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "rds:ApplyPendingMaintenanceAction",
    ];
    for (scenario, kms) in [(&[][..], &[][..]), (EVERYTHING_SET, &extra[..])] {
        let stack = template::resolved(scenario);
        let granted: BTreeSet<String> = statements(&stack)
            .into_iter()
            .filter(|s| s.identity)
            .flat_map(|s| s.actions)
            .collect();
        let wanted: BTreeSet<String> = base.iter().chain(kms).map(|a| (*a).to_owned()).collect();
        assert_eq!(granted, wanted, "with {scenario:?}");
    }
}

/// The instances of the template tests' `EventInstanceIds`.
const EVENT_INSTANCES: [&str; 3] = ["orders-1", "orders-2", "orders-3"];

/// A configured member's ARN as the reboot and claim statements name it: partition and account
/// `*` (CloudFormation cannot prefix a list parameter's items with them; identity policies never
/// reach another account's instances), the Region pinned by `aws:RequestedRegion`.
fn member_arn(id: &str) -> String {
    format!("arn:*:rds:*:*:db:{id}")
}

#[test]
fn reboot_is_allowed_only_on_the_configured_members_carrying_the_cluster_tag_in_this_region() {
    let region = json!({ "aws:RequestedRegion": REGION });
    let cases = [
        (
            &[][..],
            json!({"StringEquals": region, "StringLike": {"aws:ResourceTag/grkeeper:cluster": "?*"}}),
            &["rds:RebootDBInstance"][..],
        ),
        (
            EVERYTHING_SET,
            json!({"StringEquals": {
                "aws:RequestedRegion": REGION,
                "aws:ResourceTag/team:gr-cluster": ["orders", "billing"],
            }}),
            // Rolling maintenance on: its call under the same scope.
            &["rds:RebootDBInstance", "rds:ApplyPendingMaintenanceAction"][..],
        ),
    ];
    for (scenario, condition, actions) in cases {
        let stack = template::resolved(scenario);
        let reboots: Vec<Statement> = statements(&stack)
            .into_iter()
            .filter(|s| s.actions.iter().any(|a| a == "rds:RebootDBInstance"))
            .collect();
        let [reboot] = &reboots[..] else {
            panic!("one statement allows the reboot, not {reboots:?}")
        };
        assert_eq!(
            reboot.actions, actions,
            "the conditions must not cover other actions"
        );
        // By resource: exactly the members of EventInstanceIds, not every instance of the
        // account that someone may tag.
        assert_eq!(
            reboot.resources,
            EVENT_INSTANCES.map(member_arn),
            "with {scenario:?}"
        );
        assert_eq!(reboot.condition, Some(condition), "with {scenario:?}");
    }
}

#[test]
fn the_claim_tag_is_the_only_tag_grkeeper_may_write_and_only_on_the_configured_members() {
    for scenario in SCENARIOS {
        let stack = template::resolved(scenario);
        let tagging: Vec<Statement> = statements(&stack)
            .into_iter()
            .filter(|s| s.actions.iter().any(|a| a == "rds:AddTagsToResource"))
            .collect();
        let [claim] = &tagging[..] else {
            panic!("one statement allows tagging, not {tagging:?}")
        };
        assert_eq!(claim.actions, ["rds:AddTagsToResource"]);
        assert_eq!(claim.resources, EVENT_INSTANCES.map(member_arn));
        assert_eq!(
            claim.condition,
            Some(json!({
                "StringEquals": {"aws:RequestedRegion": REGION},
                "ForAllValues:StringEquals": {"aws:TagKeys": [grkeeper::ports::reboot::CLAIM_TAG]},
            }))
        );
    }
}

#[test]
fn the_functions_may_not_delete_journal_items() {
    for scenario in SCENARIOS {
        let stack = template::resolved(scenario);
        assert!(
            statements(&stack)
                .iter()
                .all(|s| !s.actions.iter().any(|a| a == "dynamodb:DeleteItem")),
            "only the operator's resume deletes (a pause)"
        );
    }
}

#[test]
fn functions_run_as_the_keeper_role_and_it_has_no_managed_policies() {
    let stack = template::resolved(EVERYTHING_SET);
    let role_arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/KeeperRole");
    let functions: Vec<_> = stack.of_type("AWS::Lambda::Function").collect();
    assert_eq!(functions.len(), 2);
    for (id, function) in functions {
        assert_eq!(function["Properties"]["Role"], role_arn.as_str(), "{id}");
    }
    // A managed policy's statements are not in the template, so none may be attached.
    for (id, role) in stack.of_type("AWS::IAM::Role") {
        assert!(
            role["Properties"].get("ManagedPolicyArns").is_none(),
            "{id}"
        );
    }
    assert_eq!(stack.of_type("AWS::IAM::ManagedPolicy").count(), 0);
}

/// One policy statement, with where it comes from.
#[derive(Debug)]
struct Statement {
    origin: String,
    /// From an identity policy (a role's); otherwise a resource policy or Lambda permission.
    identity: bool,
    actions: Vec<String>,
    not_action: Option<Value>,
    resources: Vec<String>,
    condition: Option<Value>,
}

/// Every statement of every policy in the stack. Policy documents given as JSON strings (the
/// reboot policy, whose condition key is computed) are parsed.
fn statements(stack: &Resolved) -> Vec<Statement> {
    let mut documents = Vec::new();
    for (id, resource) in &stack.resources {
        let props = &resource["Properties"];
        match resource["Type"].as_str().unwrap() {
            "AWS::IAM::Role" => {
                for policy in props["Policies"].as_array().into_iter().flatten() {
                    let origin = format!("{id}/{}", policy["PolicyName"].as_str().unwrap());
                    documents.push((origin, true, policy["PolicyDocument"].clone()));
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                documents.push((id.clone(), true, props["PolicyDocument"].clone()));
            }
            "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" | "AWS::Events::EventBusPolicy" => {
                documents.push((id.clone(), false, props["PolicyDocument"].clone()));
            }
            "AWS::Lambda::Permission" => {
                let statement =
                    json!({"Action": props["Action"], "Resource": props["FunctionName"]});
                documents.push((id.clone(), false, json!({"Statement": [statement]})));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (origin, identity, document) in documents {
        let document = match document {
            Value::String(text) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{origin}: policy is not valid JSON ({e}): {text}")),
            other => other,
        };
        let listed = match &document["Statement"] {
            Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        for s in listed {
            assert_ne!(
                s["Effect"], "Deny",
                "{origin}: unexpected Deny (update this test)"
            );
            out.push(Statement {
                origin: origin.clone(),
                identity,
                actions: strings(&s["Action"]),
                not_action: s.get("NotAction").cloned(),
                resources: strings(&s["Resource"]),
                condition: s.get("Condition").cloned(),
            });
        }
    }
    out
}

/// A policy field that may be one string or a list of them.
fn strings(node: &Value) -> Vec<String> {
    match node {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Array(list) => list.iter().map(template::scalar).collect(),
        other => panic!("expected a string or list: {other}"),
    }
}
