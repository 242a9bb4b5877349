//! Tests of the record log: appending, querying, the bound, snapshots and recovery.

use super::*;
use crate::profile::ApiVersion;
use crate::synth::{Generator, SynthConfig};
use crate::wire::{PageLimits, parse_record_query};

fn generator(api: ApiVersion) -> Generator {
    let cfg = SynthConfig {
        seed: 3,
        people: 5,
        width: 32,
        height: 32,
        api,
        alarm_share: Some(0.0),
        ..SynthConfig::default()
    };
    Generator::new(&cfg, "SN-HISTORY")
}

/// Record `seq`, made at `1000 + 10 * seq`.
fn record(g: &Generator, seq: u64) -> Record {
    let ts = 1000 + 10 * seq as i64;
    g.generate(seq, ts)
        .event
        .as_record()
        .expect("alarms are off")
        .clone()
}

const LIMITS: PageLimits = PageLimits {
    default: 100,
    max: 200,
};

fn query(json: &str) -> RecordQuery {
    parse_record_query(json.as_bytes(), LIMITS).unwrap()
}

fn seqs(page: &RecordPage) -> Vec<i64> {
    page.items
        .iter()
        .map(|i| (i.record.timestamp - 1000) / 10)
        .collect()
}

#[test]
fn records_are_found_by_time_person_page_and_order_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let g = generator(ApiVersion::V1_3);
    let layout = ApiVersion::V1_3.profile().history_layout();
    let records: Vec<Record> = (1..=30).map(|s| record(&g, s)).collect();
    {
        let mut log = RecordLog::open(dir.path(), Limits::default()).unwrap();
        for (seq, r) in (1..).zip(&records) {
            log.append(seq, r, None).unwrap();
        }
    }
    let log = RecordLog::open(dir.path(), Limits::default()).unwrap();
    assert_eq!(log.len(), 30);
    assert_eq!(log.seq_range(), Some((1, 30)));

    let all = log.query(&query("{}"), layout).unwrap();
    assert_eq!(
        (all.total, all.count, all.offset, all.limit),
        (30, 30, 0, 100)
    );
    assert_eq!(seqs(&all), (1..=30).collect::<Vec<_>>());

    // Inclusive bounds; 0 is unbounded.
    let range = log
        .query(&query(r#"{"begin_time": 1050, "end_time": 1100}"#), layout)
        .unwrap();
    assert_eq!(seqs(&range), (5..=10).collect::<Vec<_>>());
    let open_end = log
        .query(&query(r#"{"begin_time": 1250, "end_time": 0}"#), layout)
        .unwrap();
    assert_eq!(seqs(&open_end), (25..=30).collect::<Vec<_>>());

    // Newest first, paged.
    let page = log
        .query(&query(r#"{"sort": 1, "offset": 2, "limit": 3}"#), layout)
        .unwrap();
    assert_eq!((page.total, page.count), (30, 3));
    assert_eq!(seqs(&page), vec![28, 27, 26]);

    // By person: user_id wins over job_number, which wins over ic_number.
    let known: Vec<&Record> = records.iter().filter(|r| r.user.is_some()).collect();
    let someone = known[0].user.as_ref().unwrap();
    let theirs: Vec<i64> = records
        .iter()
        .filter(|r| r.user.as_ref().map(|u| &u.user_id) == Some(&someone.user_id))
        .map(|r| (r.timestamp - 1000) / 10)
        .collect();
    let by_id = format!(
        r#"{{"user_id": "{}", "job_number": "nobody", "ic_number": "nobody"}}"#,
        someone.user_id
    );
    assert_eq!(seqs(&log.query(&query(&by_id), layout).unwrap()), theirs);
    let by_job = format!(
        r#"{{"user_id": "", "job_number": "{}", "ic_number": "nobody"}}"#,
        someone.job_number.as_deref().unwrap()
    );
    assert_eq!(seqs(&log.query(&query(&by_job), layout).unwrap()), theirs);
    let by_card = format!(
        r#"{{"ic_number": "{}"}}"#,
        someone.ic_number.as_deref().unwrap()
    );
    assert_eq!(seqs(&log.query(&query(&by_card), layout).unwrap()), theirs);
    let nobody = log
        .query(&query(r#"{"user_id": "no such person"}"#), layout)
        .unwrap();
    assert_eq!((nobody.total, nobody.count), (0, 0));
}

#[test]
fn items_move_groups_beside_user_and_name_strangers_with_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let g = generator(ApiVersion::V1_3);
    let mut log = RecordLog::open(dir.path(), Limits::default()).unwrap();
    let records: Vec<Record> = (1..=40).map(|s| record(&g, s)).collect();
    for (seq, r) in (1..).zip(&records) {
        log.append(seq, r, None).unwrap();
    }
    let page = log
        .query(&query("{}"), ApiVersion::V1_3.profile().history_layout())
        .unwrap();
    let json = serde_json::to_value(&page).unwrap();
    let (mut strangers, mut known) = (0, 0);
    for (item, r) in json["items"].as_array().unwrap().iter().zip(&records) {
        assert_eq!(item["uuid"], serde_json::json!(r.uuid));
        assert!(item["user"].get("groups").is_none(), "{item}");
        assert!(item["user"].get("pin").is_none(), "{item}");
        match &r.user {
            Some(u) => {
                known += 1;
                assert_eq!(item["user"]["name"], u.name.as_str());
                assert_eq!(item["groups"], serde_json::to_value(&u.groups).unwrap());
            }
            None => {
                strangers += 1;
                assert_eq!(
                    item["user"],
                    serde_json::json!({"name": null, "user_id": "", "type": null,
                        "ic_number": null, "id_number": null, "job_number": null})
                );
                assert_eq!(item["groups"], serde_json::json!([]));
            }
        }
    }
    assert!(
        strangers > 0 && known > 0,
        "{strangers} strangers, {known} known"
    );

    // Under 1.2, ids are integers, a stranger's is 0, and there are no groups.
    let g = generator(ApiVersion::V1_2);
    let dir = tempfile::tempdir().unwrap();
    let mut log = RecordLog::open(dir.path(), Limits::default()).unwrap();
    for seq in 1..=20 {
        log.append(seq, &record(&g, seq), None).unwrap();
    }
    let page = log
        .query(&query("{}"), ApiVersion::V1_2.profile().history_layout())
        .unwrap();
    let json = serde_json::to_value(&page).unwrap();
    for item in json["items"].as_array().unwrap() {
        assert!(item.get("groups").is_none() && item.get("uuid").is_none());
        assert!(item["user"]["user_id"].is_i64(), "{item}");
        assert!(item["user"].get("id_number").is_none());
    }
}

#[test]
fn a_full_log_drops_its_oldest_segment_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let g = generator(ApiVersion::V1_3);
    let limits = Limits {
        records: 10,
        segment_records: 4,
        images: 3,
    };
    let jpeg = |seq: u64| vec![0xFF, 0xD8, seq as u8, 0xFF, 0xD9];
    {
        let mut log = RecordLog::open(dir.path(), limits).unwrap();
        for seq in 1..=25 {
            log.append(seq, &record(&g, seq), Some(&jpeg(seq))).unwrap();
            assert!(log.len() <= 10, "after {seq}: {}", log.len());
        }
        // 25 records in segments of 4: the newest 9 (seqs 17 to 25) are kept.
        assert_eq!(log.len(), 9);
        assert_eq!(log.dropped(), 16);
        assert_eq!(log.seq_range(), Some((17, 25)));
        assert_eq!(log.images(), 3);
    }
    let log = RecordLog::open(dir.path(), limits).unwrap();
    assert_eq!((log.len(), log.dropped(), log.images()), (9, 16, 3));
    let files = fs::read_dir(dir.path().join(IMAGES_DIR)).unwrap().count();
    assert_eq!(files, 3, "old snapshots are deleted");
    let page = log
        .query(&query("{}"), ApiVersion::V1_3.profile().history_layout())
        .unwrap();
    let images: Vec<bool> = page
        .items
        .iter()
        .map(|i| !i.record.rgb_image.is_empty())
        .collect();
    assert_eq!(
        images,
        [false, false, false, false, false, false, true, true, true]
    );
    assert_eq!(
        STANDARD.decode(&page.items[8].record.rgb_image).unwrap(),
        jpeg(25),
        "the snapshot comes back byte for byte"
    );
}

#[test]
fn a_torn_last_line_is_cut_off_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let g = generator(ApiVersion::V1_3);
    {
        let mut log = RecordLog::open(dir.path(), Limits::default()).unwrap();
        for seq in 1..=3 {
            log.append(seq, &record(&g, seq), None).unwrap();
        }
    }
    // A kill in the middle of the fourth append.
    let segment = dir.path().join(SEGMENTS_DIR).join("000000000000.jsonl");
    let mut file = OpenOptions::new().append(true).open(&segment).unwrap();
    file.write_all(br#"{"seq":4,"image":false,"record":{"deviceSN":"#)
        .unwrap();
    drop(file);
    let mut log = RecordLog::open(dir.path(), Limits::default()).unwrap();
    assert_eq!(log.len(), 3);
    log.append(4, &record(&g, 4), None).unwrap();
    let log = RecordLog::open(dir.path(), Limits::default()).unwrap();
    let page = log
        .query(&query("{}"), ApiVersion::V1_3.profile().history_layout())
        .unwrap();
    assert_eq!(seqs(&page), vec![1, 2, 3, 4]);
}

#[test]
fn queries_are_validated_field_by_field() {
    use crate::wire::QueryError;
    let bad = |json: &str| parse_record_query(json.as_bytes(), LIMITS).unwrap_err();
    assert_eq!(
        bad(r#"{"begin_time": 20, "end_time": 10}"#),
        QueryError::EndBeforeBegin { begin: 20, end: 10 }
    );
    assert_eq!(
        bad(r#"{"limit": 201}"#),
        QueryError::LimitTooLarge {
            limit: 201,
            max: 200
        }
    );
    assert_eq!(bad(r#"{"sort": 2}"#), QueryError::Sort(2));
    assert!(matches!(
        bad(r#"{"offset": -1}"#),
        QueryError::Negative { .. }
    ));
    assert!(matches!(
        bad(r#"{"limit": "5"}"#),
        QueryError::WrongType { .. }
    ));
    assert!(matches!(
        bad(r#"{"job_number": 5}"#),
        QueryError::WrongType { .. }
    ));
    assert!(matches!(bad("[]"), QueryError::NotObject("an array")));
    assert!(matches!(bad("{"), QueryError::NotJson(_)));
    // Empty body, nulls, 0 and unknown fields are all "not given".
    let q = parse_record_query(b"", LIMITS).unwrap();
    assert_eq!(
        q,
        query(r#"{"limit": 0, "begin_time": null, "extra": true}"#)
    );
    assert_eq!(
        (q.limit, q.offset, q.descending, q.who),
        (100, 0, false, None)
    );
    // A numeric user id (API 1.2 clients) is compared as its digits.
    assert_eq!(
        query(r#"{"user_id": 123}"#).who,
        Some(Who::UserId("123".into()))
    );
}
