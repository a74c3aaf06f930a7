//! The SNS notifier against moto: an alert read back from an SQS subscription carries its
//! subject, body and String MessageAttributes, and a paging subscription filtered on `severity`
//! gets the critical alerts only.

use grkeeper::report::{AlertMessage, Deployment, Step, alert_message, reconcile};

use grkeeper::adapters::aws::sns::SnsNotifier;

use grkeeper::fixtures::ClusterBuilder;
use grkeeper::plan::{ClusterStatus, Finding, FindingKind, Health, Plan, Severity};
use grkeeper::ports::notifier::Notifier;
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::queue::Queue;
use grkeeper_e2e::resources::topic_with_queue;

/// The message for a newly opened incident of `severity` about `instance` (GR stopped) of a
/// 3-member cluster `orders`.
fn opened(severity: Severity, instance: &str) -> AlertMessage {
    let snapshot = ClusterBuilder::healthy(3).gr_stopped(instance).build();
    let plan = Plan {
        cluster: "orders".into(),
        health: Health {
            status: ClusterStatus::OkPartial,
            members: 3,
            online: 2,
            tolerance: 0,
        },
        action: None,
        findings: vec![Finding {
            kind: FindingKind::MemberOffline,
            severity,
            instance: Some(instance.into()),
            message: format!("{instance} is OFFLINE"),
        }],
        refused: vec![],
        conditions: Default::default(),
        records: None,
        roll: None,
        memory: Default::default(),
    };
    let step = Step {
        snapshot,
        plan,
        taken: None,
    };
    let (transitions, _) = reconcile(&[], std::slice::from_ref(&step));
    let deployment = Deployment {
        name: Some("grkeeper-e2e".into()),
        ..Deployment::from_arn("arn:aws:sns:eu-west-1:123456789012:grkeeper-alerts")
    };
    alert_message(&transitions[0], &step, &deployment, "e2e")
}

#[tokio::test]
async fn an_alert_reaches_a_subscriber_with_its_subject_body_and_attributes() {
    let moto = Moto::start().await.unwrap();
    let config = moto.sdk_config().await;
    let (topic_arn, queue) = topic_with_queue(&config, "alerts").await.unwrap();

    let message = opened(Severity::Critical, "orders-2");
    SnsNotifier::new(aws_sdk_sns::Client::new(&config), topic_arn)
        .publish(&message)
        .await
        .unwrap();

    let envelope = &queue.receive(1).await.unwrap()[0];
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["Subject"], message.subject.as_str());
    assert_eq!(envelope["Message"], message.body.as_str());
    // All of them: severity, cluster, incident, dedup_key, action, transition, and where it
    // comes from (account, region, deployment).
    assert_eq!(message.attributes.len(), 9);
    for (name, value) in &message.attributes {
        let attribute = &envelope["MessageAttributes"][name];
        assert_eq!(attribute["Type"], "String", "{name}");
        assert_eq!(attribute["Value"], value.as_str(), "{name}");
    }
    assert_eq!(
        envelope["MessageAttributes"]["severity"]["Value"],
        "critical"
    );
}

#[tokio::test]
async fn a_paging_subscription_filtered_on_severity_gets_only_critical_alerts() {
    let moto = Moto::start().await.unwrap();
    let config = moto.sdk_config().await;
    let (topic_arn, email) = topic_with_queue(&config, "alerts").await.unwrap();
    let sns = aws_sdk_sns::Client::new(&config);
    let paging = Queue::create(&aws_sdk_sqs::Client::new(&config), "paging")
        .await
        .unwrap();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&paging.arn)
        .attributes("FilterPolicy", r#"{"severity": ["critical"]}"#)
        .send()
        .await
        .unwrap();

    let notifier = SnsNotifier::new(sns, topic_arn);
    let warning = opened(Severity::Warning, "orders-2");
    let critical = opened(Severity::Critical, "orders-3");
    notifier.publish(&warning).await.unwrap();
    notifier.publish(&critical).await.unwrap();

    let mut subjects: Vec<String> = email
        .receive(2)
        .await
        .unwrap()
        .iter()
        .map(|e| e["Subject"].as_str().unwrap().to_owned())
        .collect();
    subjects.sort();
    let mut expected = vec![critical.subject.clone(), warning.subject.clone()];
    expected.sort();
    assert_eq!(subjects, expected);
    let paged = paging.drain().await.unwrap();
    assert_eq!(paged.len(), 1, "{paged:#?}");
    assert_eq!(paged[0]["Subject"], critical.subject.as_str());
}
