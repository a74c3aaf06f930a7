//! What one AWS request is (service and operation, from the request itself), and the throttling
//! answer each protocol expects.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};

/// One AWS request as the bridge saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The SigV4 signing name from the `Authorization` credential scope (`rds`, `sns`,
    /// `dynamodb`, `secretsmanager`, `events`, `sqs`); `unknown` for an unsigned request.
    pub service: String,
    /// The operation: after the last `.` of `X-Amz-Target` (JSON protocols), or the `Action`
    /// form field (query protocol: RDS, SNS); empty when neither is there.
    pub operation: String,
    /// The instance an RDS request names: its `DBInstanceIdentifier`, or the instance of its
    /// `ResourceIdentifier` ARN (`...:db:<id>`).
    pub instance: Option<String>,
}

impl Call {
    /// Reads the service and operation of a request.
    pub(super) fn of(headers: &HeaderMap, body: &[u8]) -> Call {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let service = text(header::AUTHORIZATION.as_str())
            .and_then(signing_name)
            .unwrap_or("unknown")
            .to_owned();
        let operation = match text("x-amz-target") {
            Some(target) => target.rsplit('.').next().unwrap_or(target).to_owned(),
            None => form_field(body, "Action").unwrap_or_default(),
        };
        Call {
            service,
            operation,
            instance: form_field(body, "DBInstanceIdentifier").or_else(|| {
                form_field(body, "ResourceIdentifier")
                    .and_then(|arn| arn.split_once(":db:").map(|(_, id)| id.to_owned()))
            }),
        }
    }

    /// The request used a JSON protocol (`X-Amz-Target`), not the query protocol.
    fn is_json(headers: &HeaderMap) -> bool {
        headers.contains_key("x-amz-target")
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/rds/aws4_request, SignedHeaders=...`
/// -> `rds`.
fn signing_name(authorization: &str) -> Option<&str> {
    let credential = authorization
        .split("Credential=")
        .nth(1)?
        .split(',')
        .next()?;
    credential.split('/').nth(3)
}

/// One field of a form-encoded (query protocol) body.
pub(super) fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The service's throttling error, HTTP 400, in the shape its protocol uses.
pub(super) fn throttled(call: &Call, request: &HeaderMap) -> Response<Full<Bytes>> {
    client_error(
        call,
        request,
        ("ThrottlingException", "Throttling"),
        "Rate exceeded",
    )
}

/// The service's answer to a request it will never take (HTTP 400, not retryable), in the shape
/// its protocol uses: `InvalidParameter` (SNS's code for a message it refuses) or
/// `ValidationException`.
pub(super) fn rejected(call: &Call, request: &HeaderMap) -> Response<Full<Bytes>> {
    client_error(
        call,
        request,
        ("ValidationException", "InvalidParameter"),
        "Invalid parameter: Message too long",
    )
}

/// An HTTP 400 error with `codes` (JSON protocols', query protocol's) and `message`.
fn client_error(
    call: &Call,
    request: &HeaderMap,
    (json_code, query_code): (&str, &str),
    message: &str,
) -> Response<Full<Bytes>> {
    let (content_type, body) = if Call::is_json(request) {
        let content_type = request
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("application/x-amz-json-1.0"));
        let body = serde_json::json!({"__type": json_code, "message": message}).to_string();
        (content_type, body)
    } else {
        (
            HeaderValue::from_static("text/xml"),
            query_error(&call.service, query_code, message),
        )
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// The query protocol's error document, as RDS and SNS send it (and moto copies).
pub(super) fn query_error(service: &str, code: &str, message: &str) -> String {
    let namespace = match service {
        "rds" => "http://rds.amazonaws.com/doc/2014-10-31/",
        "sns" => "http://sns.amazonaws.com/doc/2010-03-31/",
        _ => "https://aws.amazon.com/",
    };
    format!(
        r#"<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>grkeeper-e2e-bridge</RequestId></ErrorResponse>"#,
        escape(message)
    )
}

/// Text content escaped for XML.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
