//! The record checks (R-*), forward compatibility (C-*) and the door decisions (D-*): real
//! records of every kind the version defines, each answered like the reference, and the
//! records that must not open the door.

use facesim_proto::wire::RecognizeStatus;

use crate::probe::Factory;
use crate::run::how::{Phase, Push};
use crate::run::runner::Runner;

use super::table::{ALARM, EXAMPLE, NOTES, RECORD, Row, rows};

/// The group's rows, in catalog order.
pub(super) const ROWS: &[Row] = rows! {
    R01,
        Must,
        Records,
        RECORD,
        (all),
        "Records of every recognition outcome the version defines get a conforming answer (recognizeStatus 0 to 6 in 1.0, recognitionType 1 to 5 from 1.1).",
        [RejectsRareStatus @ (only V1_0), RequiresUser],
        Push::Records(Factory::outcomes);
    R02,
        Must,
        Records,
        RECORD,
        (all),
        "Records with every mask value from 0 to 2 get a conforming answer.",
        [],
        Push::Records(Factory::masks);
    R03,
        Must,
        Records,
        RECORD,
        (all),
        "Records with every mode the version defines get a conforming answer (0 to 6; 0 to 9 from 1.2.1).",
        [RejectsNewModes],
        Push::Records(Factory::modes);
    R04,
        Must,
        Records,
        RECORD,
        (all),
        "A record without `user` (a stranger) gets a conforming answer.",
        [RequiresUser],
        Push::Records(|f| vec![f.user_absent()]);
    R05,
        Must,
        Records,
        RECORD,
        (all),
        "A record with `\"user\": null` gets a conforming answer.",
        [RequiresUser, RejectsUserNull],
        Push::Records(|f| vec![f.user_null()]);
    R06,
        Must,
        Records,
        NOTES,
        (all),
        "Records whose user names are in CJK and other non-ASCII scripts get a conforming answer.",
        [FailsNonAscii],
        Push::Records(Factory::non_ascii_names);
    R07,
        Must,
        Records,
        NOTES,
        (all),
        "A record whose user name is at the version's byte limit gets a conforming answer (32 bytes before 1.2, 128 from 1.2).",
        [RejectsLongNames @ (from V1_2)],
        Push::Records(|f| vec![f.long_name()]);
    R08,
        Must,
        Records,
        NOTES,
        (all),
        "An event with a large snapshot (a body of at least 512 KiB) gets a conforming answer.",
        [FailsLargeBodies],
        Push::Records(|f| vec![f.large()]);
    R09,
        Must,
        Records,
        RECORD,
        (all),
        "The smallest valid record (no user, zero scores, a tiny snapshot) gets a conforming answer.",
        [RequiresUser],
        Push::Records(|f| vec![f.smallest()]);
    // MUST: a 1.3 terminal sends `entry_mode` on every record, and a record it cannot
    // deliver stays at the head of its queue, blocking every later one.
    R10,
        Must,
        Records,
        RECORD,
        (only V1_3),
        "Records with every entry_mode from 1 to 12 get a conforming answer.",
        [],
        Push::Records(Factory::entry_modes);
    // MUST: as R-10; `abnormal_type` is on every 1.3 record, and the rare codes come
    // exactly when something at the door went wrong.
    R11,
        Must,
        Records,
        RECORD,
        (only V1_3),
        "Records with every abnormal_type the guide lists get a conforming answer.",
        [],
        Push::Records(Factory::abnormal_types);
    // MUST: from 1.2.1 every record of a known person carries a string `user_id`, often
    // a UUID; a receiver that parses it as a number refuses them all.
    R12,
        Must,
        Records,
        RECORD,
        (from V1_2_1),
        "Records whose `user_id` is a non-numeric string (a UUID, letters, CJK) get a conforming answer.",
        [ParsesUserIdInt],
        Push::Records(Factory::text_user_ids);
    // MUST: `groups` is on every 1.2.1 record of a known person, empty for most.
    R13,
        Must,
        Records,
        RECORD,
        (from V1_2_1),
        "Records whose user has no groups (`[]`) and several groups get a conforming answer.",
        [],
        Push::Records(Factory::groups);
    // MUST, not SHOULD: a 1.3 terminal pushes alarms through the same queue as records,
    // one at a time, oldest first; an alarm it cannot deliver holds back every record
    // made after it. A clear may leave `code` out (the guide's table marks it optional).
    R14,
        Must,
        Records,
        ALARM,
        (only V1_3),
        "Alarms (`type` 1) of every code and status, including a clear without `code`, get a success answer.",
        [RejectsTypeNonzero, RejectsAlarms, CrashesOnClearWithoutCode],
        Push::Records(Factory::alarms);
    // MUST: a terminal that timed out on an answer sends the same record again, same
    // `uuid`; a receiver that answers the repeat with an error (a unique key on `uuid`)
    // makes the terminal retry that record forever, and the queue behind it never drains.
    R15,
        Must,
        Records,
        NOTES,
        (from V1_2_1),
        "A redelivered record (the same body and `uuid` sent again, as after a timeout) gets a success answer.",
        [DuplicateUuid500],
        Push::Records(Factory::redelivery);
    C01,
        Should,
        Compatibility,
        NOTES,
        (all),
        "Unknown extra fields in the event, the record and the user are ignored.",
        [RejectsUnknownFields],
        Push::Records(|f| vec![f.unknown_fields()]);
    C02,
        Should,
        Compatibility,
        EXAMPLE,
        (all),
        "An event of a `type` the version does not define gets HTTP 200 and a well-formed answer.",
        [RejectsTypeNonzero, RejectsAlarms],
        Push::Own(Phase::Compared, Runner::other_type);
    D01,
        Info,
        Decisions,
        RECORD,
        (only V1_0),
        "A stranger (recognizeStatus 3) is not let through; `pass: true` is reported as failing open.",
        [FailsOpen],
        Push::Decision(RecognizeStatus::Stranger, "stranger");
    D02,
        Info,
        Decisions,
        RECORD,
        (only V1_0),
        "A non-live face (recognizeStatus 1) is not let through; `pass: true` is reported as failing open.",
        [FailsOpen],
        Push::Decision(RecognizeStatus::NonLiveness, "non-live face");
};
