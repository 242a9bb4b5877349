//! Unit tests of the wire types that span several parts.

use super::*;

#[test]
fn answer_with_msg_or_message_decodes() {
    let a = decode_answer(br#"{"code":200,"msg":"ok","data":{"pass":true,"customtips":"Hi"}}"#)
        .unwrap();
    assert_eq!(a.message_field, Some(MessageField::Msg));
    assert!(a.pass == Some(true) && a.is_success());
    let b = decode_answer(br#"{"code":200,"message":"ok","data":{"pass":false}}"#).unwrap();
    assert_eq!(b.message_field, Some(MessageField::Message));
    assert_eq!(b.customtips, None);
}

#[test]
fn answer_errors_name_the_field() {
    assert!(matches!(
        decode_answer(b"nope"),
        Err(AnswerError::NotJson(_))
    ));
    assert_eq!(
        decode_answer(b"[]"),
        Err(AnswerError::NotObject("an array"))
    );
    assert_eq!(
        decode_answer(br#"{"code":200,"msg":"x","data":{}}"#),
        Err(AnswerError::MissingField("data.pass"))
    );
    assert_eq!(
        decode_answer(br#"{"code":"200","msg":"x","data":{"pass":true}}"#),
        Err(AnswerError::WrongType {
            field: "code",
            expected: "an integer",
            found: "a string"
        })
    );
    assert_eq!(
        decode_answer(br#"{"code":200,"msg":"x","data":{"pass":"true"}}"#),
        Err(AnswerError::WrongType {
            field: "data.pass",
            expected: "a boolean",
            found: "a string"
        })
    );
}

#[test]
fn subscription_rules() {
    let s = parse_subscription(br#"{"event_dest":"http://127.0.0.1:9/eventRcv"}"#).unwrap();
    assert!(s.enabled);
    assert_eq!(s.event_dest_str(), "http://127.0.0.1:9/eventRcv");
    assert_eq!(
        parse_subscription(br#"{"event_dest":"ftp://h/x"}"#),
        Err(SubscribeError::BadScheme("ftp".into()))
    );
    assert_eq!(
        parse_subscription(br#"{"enabled":true}"#),
        Err(SubscribeError::MissingDest)
    );
    let long = format!(r#"{{"event_dest":"http://h/{}"}}"#, "a".repeat(1100));
    assert!(matches!(
        parse_subscription(long.as_bytes()),
        Err(SubscribeError::DestTooLong(_))
    ));
    assert!(matches!(
        parse_subscription(br#"{"event_dest":"http://h/","enabled":1}"#),
        Err(SubscribeError::WrongType {
            field: "enabled",
            ..
        })
    ));
}

#[test]
fn destinations_are_validated_wherever_they_are_read() {
    let unset = Subscription::default();
    let json = serde_json::to_string(&unset).unwrap();
    assert_eq!(json, r#"{"event_dest":"","enabled":false}"#);
    assert_eq!(serde_json::from_str::<Subscription>(&json).unwrap(), unset);
    let set: Subscription =
        serde_json::from_str(r#"{"event_dest":"https://h:8443/e?x=1","enabled":true}"#).unwrap();
    assert_eq!(set.active().unwrap().url().port(), Some(8443));
    assert_eq!(
        serde_json::to_string(&set).unwrap(),
        r#"{"event_dest":"https://h:8443/e?x=1","enabled":true}"#
    );
    let bad = serde_json::from_str::<Subscription>(r#"{"event_dest":"ftp://h/","enabled":true}"#)
        .unwrap_err();
    assert!(
        bad.to_string().contains("scheme must be http or https"),
        "{bad}"
    );
    assert_eq!(
        "http://".parse::<Destination>().unwrap_err(),
        SubscribeError::BadUrl("empty host".into())
    );
    let off = Subscription {
        enabled: false,
        ..set
    };
    assert_eq!(off.active(), None);
}

#[test]
fn enums_reject_unknown_numbers() {
    assert!(serde_json::from_str::<RecognizeStatus>("7").is_err());
    assert_eq!(serde_json::from_str::<Mask>("2").unwrap(), Mask::Worn);
    assert_eq!(
        serde_json::to_string(&Mode::try_from(6).unwrap()).unwrap(),
        "6"
    );
    assert!(serde_json::from_str::<Mode>("9").is_ok());
    assert!(serde_json::from_str::<Mode>("10").is_err());
    assert!(serde_json::from_str::<RecognitionType>("0").is_err());
    assert!(serde_json::from_str::<AlarmCode>("20003").is_ok());
}
