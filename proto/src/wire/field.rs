//! The names of record fields and headers, for code that patches records as JSON (overrides,
//! conformance variants), so that field names are spelled only in `wire`.

pub const TYPE: &str = "type";
pub const DATA: &str = "data";
pub const RECOGNIZE_STATUS: &str = "recognizeStatus";
pub const DEVICE_SN: &str = "deviceSN";
pub const RECOGNIZE_SCORE: &str = "recognizeScore";
pub const LIVENESS_SCORE: &str = "livenessScore";
pub const MASK: &str = "mask";
pub const RGB_IMAGE: &str = "rgb_image";
pub const PASS: &str = "pass";
pub const MODE: &str = "mode";
pub const USER: &str = "user";
pub const USER_NAME: &str = "name";
pub const USER_ID: &str = "user_id";
pub const USER_TYPE: &str = "type";
pub const TIMESTAMP: &str = "timestamp";
pub const CODE: &str = "code";
pub const MSG: &str = "msg";
pub const MESSAGE: &str = "message";
pub const CUSTOMTIPS: &str = "customtips";
pub const EVENT_DEST: &str = "event_dest";
pub const ENABLED: &str = "enabled";
pub const RECOGNITION_TYPE: &str = "recognitionType";
pub const UUID: &str = "uuid";
pub const BODY_TEMPERATURE: &str = "bodyTemperature";
pub const ENTRY_MODE: &str = "entry_mode";
pub const ABNORMAL_TYPE: &str = "abnormal_type";
pub const IC_NUMBER: &str = "ic_number";
pub const JOB_NUMBER: &str = "job_number";
pub const ID_NUMBER: &str = "id_number";
pub const GUEST_TIME_START: &str = "guest_time_start";
pub const GUEST_TIME_END: &str = "guest_time_end";
pub const REMARK: &str = "remark";
pub const PIN: &str = "pin";
pub const GROUPS: &str = "groups";
pub const TRACE_ID: &str = "trace_id";
pub const EVENT_TIME: &str = "event_time";
pub const STATUS: &str = "status";
pub const ALARM_PHOTO: &str = "alarm_photo";
/// Identity headers of pushes and device answers (from API 1.2.1), in lower case as
/// the guide writes them.
pub const HEADER_MODEL: &str = "model";
pub const HEADER_SN: &str = "sn";
pub const HEADER_TIMESTAMP: &str = "timestamp";
pub const HEADER_ACCOUNT: &str = "account";
pub const DESCRIPTION: &str = "description";
/// Remote-authentication callbacks and their answers.
pub const QRCODE_CONTENT: &str = "qrcode_content";
pub const AUTH_USER_NAME: &str = "user_name";
pub const VERIFY_SCORE: &str = "verify_score";
pub const VERIFY_CODE: &str = "verify_code";
pub const GROUP_ID: &str = "id";
