//! [`TriggerError`]: why an input is not a trigger, in one line that names the field.

/// Why a Lambda input was rejected. Every message is one line: values taken from the input are
/// quoted with escapes and clipped, so a hostile input cannot forge or flood a log line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// The bytes are not JSON.
    #[error("not JSON: {reason}")]
    NotJson {
        /// The JSON parser's message.
        reason: String,
    },
    /// An object repeats a key: which value counts would depend on the reader.
    #[error("key \"{field}\" appears twice in one object")]
    RepeatedKey {
        /// Path of the repeated key (clipped).
        field: String,
    },
    /// The input is larger than any event grkeeper handles.
    #[error("input of {bytes} bytes, above the {max} bytes an event may have", max = super::MAX_INPUT_BYTES)]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// The input (or a part that must be an object) is another JSON type.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// An object with none of the keys that tell the input forms apart.
    #[error(
        "not a grkeeper trigger: expected an EventBridge event (\"source\", \"detail-type\"), \
         a manual invocation (\"action\") or the schedule input (\"grkeeper\")"
    )]
    NotATrigger,
    /// A required field is absent (or `null`).
    #[error("missing field \"{field}\"")]
    MissingField {
        /// Path of the field, such as `detail-type` or `detail.Message`.
        field: String,
    },
    /// A field holds the wrong JSON type.
    #[error("field \"{field}\" must be {expected}, found {found}")]
    WrongType {
        /// Path of the field.
        field: String,
        /// What the field must hold, such as `a string`.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// An EventBridge event grkeeper does not handle.
    #[error("unsupported event: source {event_source:?}, detail-type {detail_type:?}")]
    UnsupportedEvent {
        /// The event's `source` (clipped; not named `source`, which thiserror reserves).
        event_source: String,
        /// The event's `detail-type` (clipped).
        detail_type: String,
    },
    /// A field of a grkeeper input holds a value grkeeper does not know.
    #[error("unsupported value {value:?} in \"{field}\": expected {expected}")]
    UnsupportedValue {
        /// Path of the field.
        field: String,
        /// The value found (clipped).
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// A grkeeper input carries a field it does not define (a typo must not widen a sweep).
    #[error("unexpected field {field:?} in {form}: allowed fields are {allowed}")]
    UnexpectedField {
        /// The unknown key (clipped).
        field: String,
        /// Which input form, such as `a manual invocation`.
        form: &'static str,
        /// The fields that form allows.
        allowed: &'static str,
    },
    /// A name that breaks its naming rules.
    #[error("invalid {what} {value:?} in {field}: {reason}")]
    InvalidIdentifier {
        /// What kind of name, such as `instance identifier`.
        what: &'static str,
        /// The value found (clipped).
        value: String,
        /// Path of the field.
        field: String,
        /// The rule it breaks.
        reason: String,
    },
    /// An ARN that is malformed or names the wrong kind of resource.
    #[error("invalid ARN {value:?} in {field}: {reason}")]
    InvalidArn {
        /// The value found (clipped).
        value: String,
        /// Path of the field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `EventID` that is not `RDS-EVENT-` and digits.
    #[error("invalid event id {value:?} in {field}: expected \"RDS-EVENT-\" and 4 to 6 digits")]
    InvalidEventId {
        /// The value found (clipped).
        value: String,
        /// Path of the field.
        field: String,
    },
    /// A time that is not RFC 3339.
    #[error("invalid time {value:?} in {field}: expected RFC 3339, such as 2025-03-04T10:15:42Z")]
    InvalidTime {
        /// The value found (clipped).
        value: String,
        /// Path of the field.
        field: String,
    },
    /// Two fields of one event name different things (never resolved by guessing).
    #[error("{field} {value:?} contradicts {other_field} {other_value:?}")]
    Contradiction {
        /// Path of the first field.
        field: String,
        /// Its value (clipped).
        value: String,
        /// Path of the field it disagrees with.
        other_field: String,
        /// That field's value (clipped).
        other_value: String,
    },
    /// An RDS event from which no source name can be derived.
    #[error(
        "no {what} named: detail.SourceIdentifier (without the \"rds:\" prefix), \
         detail.SourceArn and resources give none"
    )]
    NoSource {
        /// What the event should name, such as `DB instance`.
        what: &'static str,
    },
}

impl TriggerError {
    /// A short, stable name for log fields and metric dimensions.
    pub fn kind(&self) -> &'static str {
        match self {
            TriggerError::NotJson { .. } => "not_json",
            TriggerError::RepeatedKey { .. } => "repeated_key",
            TriggerError::TooLarge { .. } => "too_large",
            TriggerError::NotAnObject { .. } => "not_an_object",
            TriggerError::NotATrigger => "not_a_trigger",
            TriggerError::MissingField { .. } => "missing_field",
            TriggerError::WrongType { .. } => "wrong_type",
            TriggerError::UnsupportedEvent { .. } => "unsupported_event",
            TriggerError::UnsupportedValue { .. } => "unsupported_value",
            TriggerError::UnexpectedField { .. } => "unexpected_field",
            TriggerError::InvalidIdentifier { .. } => "invalid_identifier",
            TriggerError::InvalidArn { .. } => "invalid_arn",
            TriggerError::InvalidEventId { .. } => "invalid_event_id",
            TriggerError::InvalidTime { .. } => "invalid_time",
            TriggerError::Contradiction { .. } => "contradiction",
            TriggerError::NoSource { .. } => "no_source",
        }
    }
}

/// Longest piece of input quoted in an error message, in characters.
const CLIP: usize = 80;

/// The start of an input value, short enough for a log line (the message quotes it with escapes).
pub(super) fn clip(value: &str) -> String {
    match value.char_indices().nth(CLIP) {
        Some((end, _)) => format!("{}...", &value[..end]),
        None => value.to_owned(),
    }
}
