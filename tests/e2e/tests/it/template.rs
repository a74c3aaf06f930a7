//! `infra/template.yaml` as CloudFormation receives it, resolved for one set of parameter values.
//!
//! Two steps. The YAML (short tags like `!Sub`, and the SAM transform) is turned into plain
//! CloudFormation JSON by `infra/translate.py`, with the pinned SAM translator in `.tools/py`:
//! that is what really deploys, and it avoids a YAML-with-tags parser in Rust. Then the
//! intrinsic functions the template uses (`Ref`, `Fn::Sub`, `Fn::If`, ...) are evaluated here
//! for given parameter values, the way CloudFormation would, so tests read plain values: the
//! rule patterns they send to EventBridge, the policies they check.

use std::collections::BTreeMap;
use std::process::Command;

use grkeeper_e2e::moto::{ACCOUNT_ID, REGION};
use grkeeper_e2e::tools;
use serde_json::{Map, Value, json};

/// The stack name resolved templates pretend to have.
pub const STACK: &str = "grkeeper-test";

/// Parameters every test must give, since they have no default.
pub const REQUIRED: &[(&str, &str)] = &[
    ("SubnetIds", "subnet-0a,subnet-0b"),
    ("SecurityGroupIds", "sg-0a"),
    ("EventInstanceIds", "orders-1,orders-2,orders-3"),
];

/// The translated template (plain CloudFormation JSON, intrinsics still in it).
pub fn translated() -> Value {
    let python = tools::py_tool("python3").unwrap_or_else(|e| panic!("{e}"));
    let root = tools::workspace_root();
    let out = Command::new(python)
        .arg(root.join("infra/translate.py"))
        .arg(root.join("infra/template.yaml"))
        .output()
        .expect("run infra/translate.py");
    assert!(
        out.status.success(),
        "infra/translate.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("translate.py prints JSON")
}

/// The translated template resolved with the defaults, [`REQUIRED`] and `overrides`.
pub fn resolved(overrides: &[(&str, &str)]) -> Resolved {
    let values: Vec<(&str, &str)> = REQUIRED.iter().chain(overrides).copied().collect();
    Resolved::new(&translated(), &values)
}

/// A template with every intrinsic evaluated and every resource whose condition is false gone.
#[derive(Debug)]
pub struct Resolved {
    /// Logical id -> resource (`Type`, `Properties`, ...), plain values only.
    pub resources: BTreeMap<String, Value>,
    /// The parameter values used (the defaults, then the values given).
    pub params: BTreeMap<String, String>,
}

impl Resolved {
    /// Resolves `template` (translated) for its defaults overridden by `values`.
    pub fn new(template: &Value, values: &[(&str, &str)]) -> Self {
        let ctx = Context::new(template, values);
        let mut resources = BTreeMap::new();
        for (id, resource) in obj(&template["Resources"]) {
            let kept = resource
                .get("Condition")
                .and_then(Value::as_str)
                .is_none_or(|c| ctx.condition(c));
            if kept && let Some(value) = ctx.resolve(resource) {
                resources.insert(id.clone(), value);
            }
        }
        Self {
            resources,
            params: ctx.params,
        }
    }

    /// The resource with this logical id; panics if the template has none.
    pub fn resource(&self, id: &str) -> &Value {
        self.resources
            .get(id)
            .unwrap_or_else(|| panic!("the template has no resource {id}"))
    }

    /// Logical id and resource of every resource of this type.
    pub fn of_type<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.resources.iter().filter(move |(_, r)| r["Type"] == ty)
    }
}

/// The descriptions of the template's rule assertions (`Rules`) that fail for its defaults
/// overridden by `values`: what CloudFormation would refuse the stack with.
pub fn failed_assertions(template: &Value, values: &[(&str, &str)]) -> Vec<String> {
    let ctx = Context::new(template, values);
    let rules = template.get("Rules").cloned().unwrap_or_else(|| json!({}));
    let mut failed = Vec::new();
    for (name, rule) in obj(&rules) {
        if rule.get("RuleCondition").is_some_and(|c| !ctx.truth(c)) {
            continue;
        }
        for assertion in arr(&rule["Assertions"]) {
            if !ctx.truth(&assertion["Assert"]) {
                let description = assertion["AssertDescription"].as_str().unwrap_or_default();
                failed.push(format!("{name}: {description}"));
            }
        }
    }
    failed
}

/// Parameter values and conditions of one resolution.
struct Context<'t> {
    template: &'t Value,
    params: BTreeMap<String, String>,
}

impl<'t> Context<'t> {
    fn new(template: &'t Value, values: &[(&str, &str)]) -> Self {
        let declared = template
            .get("Parameters")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut params: BTreeMap<String, String> = obj(&declared)
            .iter()
            .filter_map(|(name, p)| Some((name.clone(), scalar(p.get("Default")?))))
            .collect();
        for (name, value) in values {
            assert!(
                declared.get(name).is_some(),
                "the template has no parameter {name}"
            );
            params.insert((*name).to_owned(), (*value).to_owned());
        }
        for name in obj(&declared).keys() {
            assert!(params.contains_key(name), "no value for parameter {name}");
        }
        Self { template, params }
    }

    /// Evaluates the named condition of the template.
    fn condition(&self, name: &str) -> bool {
        let body = self
            .template
            .get("Conditions")
            .and_then(|c| c.get(name))
            .unwrap_or_else(|| panic!("the template has no condition {name}"));
        self.truth(body)
    }

    fn truth(&self, node: &Value) -> bool {
        let (f, args) = single(node).unwrap_or_else(|| panic!("not a condition: {node}"));
        match f {
            "Condition" => self.condition(args.as_str().expect("condition name")),
            "Fn::Equals" => {
                let [a, b] = pair(args);
                self.resolve(a) == self.resolve(b)
            }
            "Fn::Not" => !self.truth(&args[0]),
            "Fn::And" => arr(args).iter().all(|c| self.truth(c)),
            "Fn::Or" => arr(args).iter().any(|c| self.truth(c)),
            "Fn::Contains" => {
                let [list, value] = pair(args);
                let list = self.resolve(list).expect("Fn::Contains list");
                let value = self.resolve(value).expect("Fn::Contains value");
                arr(&list).contains(&value)
            }
            other => panic!("unsupported condition function {other}"),
        }
    }

    /// The plain value of `node`; `None` for `AWS::NoValue` (the key or item disappears).
    fn resolve(&self, node: &Value) -> Option<Value> {
        if let Some((f, args)) = single(node).filter(|(f, _)| *f == "Ref" || f.starts_with("Fn::"))
        {
            return self.intrinsic(f, args);
        }
        Some(match node {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), self.resolve(v)?)))
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().filter_map(|v| self.resolve(v)).collect())
            }
            other => other.clone(),
        })
    }

    fn intrinsic(&self, f: &str, args: &Value) -> Option<Value> {
        let value = match f {
            "Ref" => return self.reference(args.as_str().expect("Ref name")),
            "Fn::GetAtt" => {
                let (id, attr) = match args {
                    Value::String(s) => s.split_once('.').expect("Fn::GetAtt Id.Attr"),
                    _ => {
                        let [id, attr] = pair(args);
                        (
                            id.as_str().expect("GetAtt id"),
                            attr.as_str().expect("GetAtt attribute"),
                        )
                    }
                };
                Value::String(self.attribute(id, attr))
            }
            "Fn::Sub" => Value::String(self.sub(args)),
            "Fn::Join" => {
                let [delimiter, items] = pair(args);
                let items = self.resolve(items).expect("Fn::Join list");
                let parts: Vec<String> = arr(&items).iter().map(scalar).collect();
                Value::String(
                    parts.join(delimiter.as_str().expect("Fn::Join delimiter is a string")),
                )
            }
            "Fn::Split" => {
                let [delimiter, text] = pair(args);
                let text = scalar(&self.resolve(text).expect("Fn::Split string"));
                let delimiter = delimiter.as_str().expect("Fn::Split delimiter is a string");
                json!(text.split(delimiter).collect::<Vec<_>>())
            }
            "Fn::Select" => {
                let [index, items] = pair(args);
                let index: usize = scalar(&self.resolve(index)?)
                    .parse()
                    .expect("Fn::Select index");
                arr(&self.resolve(items)?)[index].clone()
            }
            "Fn::If" => {
                let [name, yes, no] = arr(args).as_slice() else {
                    panic!("Fn::If takes [condition, then, else]: {args}")
                };
                let chosen = if self.condition(name.as_str().expect("condition name")) {
                    yes
                } else {
                    no
                };
                return self.resolve(chosen);
            }
            other => panic!("unsupported intrinsic {other}: extend template.rs"),
        };
        Some(value)
    }

    /// `Ref`: a parameter (lists become arrays), a pseudo parameter, or a resource.
    fn reference(&self, name: &str) -> Option<Value> {
        if let Some(value) = self.params.get(name) {
            let ty = self.template["Parameters"][name]["Type"]
                .as_str()
                .unwrap_or("String");
            return Some(if ty.starts_with("List<") || ty == "CommaDelimitedList" {
                json!(value.split(',').collect::<Vec<_>>())
            } else {
                Value::String(value.clone())
            });
        }
        Some(Value::String(match name {
            "AWS::NoValue" => return None,
            "AWS::Region" => REGION.to_owned(),
            "AWS::AccountId" => ACCOUNT_ID.to_owned(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::StackName" => STACK.to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            resource => self.resource_ref(resource),
        }))
    }

    /// What `Ref` returns for a resource of the stack, shaped as AWS would return it.
    fn resource_ref(&self, id: &str) -> String {
        match self.resource_type(id) {
            "AWS::SNS::Topic" => self.arn("sns", id),
            "AWS::SecretsManager::Secret" => {
                self.arn("secretsmanager", &format!("secret:{id}-AbCdEf"))
            }
            "AWS::SQS::Queue" => format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{id}"),
            "AWS::Logs::LogGroup" => self.log_group_name(id),
            _ => id.to_owned(),
        }
    }

    /// `Fn::GetAtt` on a resource of the stack.
    fn attribute(&self, id: &str, attr: &str) -> String {
        let ty = self.resource_type(id);
        match (ty, attr) {
            ("AWS::SQS::Queue", "QueueName") => id.to_owned(),
            ("AWS::SQS::Queue", "Arn") => self.arn("sqs", id),
            ("AWS::DynamoDB::Table", "Arn") => self.arn("dynamodb", &format!("table/{id}")),
            ("AWS::Logs::LogGroup", "Arn") => {
                self.arn("logs", &format!("log-group:{}:*", self.log_group_name(id)))
            }
            ("AWS::Lambda::Function", "Arn") => self.arn("lambda", &format!("function:{id}")),
            ("AWS::Events::Rule", "Arn") => self.arn("events", &format!("rule/{id}")),
            ("AWS::IAM::Role", "Arn") => format!("arn:aws:iam::{ACCOUNT_ID}:role/{id}"),
            ("AWS::CloudWatch::Alarm", "Arn") => self.arn("cloudwatch", &format!("alarm:{id}")),
            _ => panic!("Fn::GetAtt {id}.{attr} ({ty}) not modelled: extend template.rs"),
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}")
    }

    fn log_group_name(&self, id: &str) -> String {
        let name = &self.template["Resources"][id]["Properties"]["LogGroupName"];
        self.resolve(name)
            .map_or_else(|| id.to_owned(), |v| scalar(&v))
    }

    fn resource_type(&self, id: &str) -> &str {
        self.template["Resources"][id]["Type"]
            .as_str()
            .unwrap_or_else(|| {
                panic!("Ref/GetAtt to {id}, which is neither parameter nor resource")
            })
    }

    /// `Fn::Sub`: `"text ${Name} ${Id.Attr} ${!Literal}"`, or `[text, {Name: value}]`.
    fn sub(&self, args: &Value) -> String {
        let (text, vars) = match args {
            Value::String(text) => (text.as_str(), Map::new()),
            _ => {
                let [text, vars] = pair(args);
                (text.as_str().expect("Fn::Sub text"), obj(vars).clone())
            }
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("unclosed ${ in Fn::Sub") + start;
            let name = &rest[start + 2..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = vars.get(name) {
                out.push_str(&scalar(&self.resolve(value).expect("Fn::Sub variable")));
            } else if let Some((id, attr)) = name.split_once('.') {
                out.push_str(&self.attribute(id, attr));
            } else {
                out.push_str(&scalar(&self.reference(name).expect("Fn::Sub reference")));
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// `{"Fn::X": args}` -> `("Fn::X", args)`: the shape of an intrinsic function or condition.
fn single(node: &Value) -> Option<(&str, &Value)> {
    match node {
        Value::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

fn obj(node: &Value) -> &Map<String, Value> {
    node.as_object()
        .unwrap_or_else(|| panic!("expected an object: {node}"))
}

fn arr(node: &Value) -> &Vec<Value> {
    node.as_array()
        .unwrap_or_else(|| panic!("expected a list: {node}"))
}

fn pair(node: &Value) -> [&Value; 2] {
    match arr(node).as_slice() {
        [a, b] => [a, b],
        _ => panic!("expected two arguments: {node}"),
    }
}

/// A scalar as CloudFormation passes it on: a string (numbers and booleans as text).
pub fn scalar(node: &Value) -> String {
    match node {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => node.to_string(),
        _ => panic!("expected a scalar: {node}"),
    }
}

#[test]
fn sub_fills_variables_parameters_pseudo_parameters_and_attributes() {
    let template = json!({
        "Parameters": {"Bus": {"Type": "String", "Default": "ops"}},
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue"},
            "Out": {"Type": "Test::Thing", "Properties": {"V": {"Fn::Sub": [
                "${Bus}|${AWS::Region}|${Q.Arn}|${X}|${!Kept}", {"X": {"Ref": "Bus"}}
            ]}}}
        }
    });
    let r = Resolved::new(&template, &[]);
    assert_eq!(
        r.resource("Out")["Properties"]["V"],
        format!("ops|{REGION}|arn:aws:sqs:{REGION}:{ACCOUNT_ID}:Q|ops|${{Kept}}")
    );
}

#[test]
fn if_with_no_value_removes_the_key_and_false_conditions_remove_the_resource() {
    let template = json!({
        "Parameters": {"Email": {"Type": "String", "Default": ""}},
        "Conditions": {"HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]}},
        "Resources": {
            "Sub": {"Type": "Test::Thing", "Condition": "HasEmail"},
            "Out": {"Type": "Test::Thing", "Properties": {
                "Kept": {"Fn::If": ["HasEmail", "x", "y"]},
                "Gone": {"Fn::If": ["HasEmail", "x", {"Ref": "AWS::NoValue"}]}
            }}
        }
    });
    let r = Resolved::new(&template, &[]);
    assert!(!r.resources.contains_key("Sub"));
    assert_eq!(r.resource("Out")["Properties"], json!({"Kept": "y"}));
}

#[test]
fn lists_split_and_join_like_cloudformation() {
    let template = json!({
        "Parameters": {"Ids": {"Type": "CommaDelimitedList", "Default": "a,b"}},
        "Resources": {"Out": {"Type": "Test::Thing", "Properties": {"V": {"Fn::Split": [",",
            {"Fn::Join": ["", [{"Fn::Join": [",", {"Ref": "Ids"}]}, ",x:", {"Fn::Join": [",x:", {"Ref": "Ids"}]}]]}
        ]}}}}
    });
    let r = Resolved::new(&template, &[]);
    assert_eq!(
        r.resource("Out")["Properties"]["V"],
        json!(["a", "b", "x:a", "x:b"])
    );
}
