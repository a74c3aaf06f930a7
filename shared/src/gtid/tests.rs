//! GTID set tests: MySQL's examples, every malformed form refused with its reason, and the
//! arithmetic checked against naive models on small, edge-numbered and fragmented sets.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::Index;

use super::*;

const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const B: &str = "9854d4a2-5d7f-11ee-b8ec-0ec88c43c251";
const C: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";

fn set(text: &str) -> GtidSet {
    text.parse().unwrap()
}

fn source(uuid: &str, tag: &str) -> Source {
    Source {
        uuid: uuid.into(),
        tag: tag.into(),
    }
}

#[test]
fn parses_mysql_output_with_newlines_and_uppercase() {
    let text = format!("{}:1-5:7,\n{B}:1-3", A.to_uppercase());
    let parsed = set(&text);
    assert_eq!(parsed.to_string(), format!("{A}:1-5:7,{B}:1-3"));
    assert_eq!(parsed.count(), 9);
}

#[test]
fn whitespace_may_surround_separators() {
    let parsed = set(&format!(" {A} : 1 - 5 :\t7 ,\n {B}:Audit : 2 ,, \n"));
    assert_eq!(parsed.to_string(), format!("{A}:1-5:7,{B}:audit:2"));
}

#[test]
fn the_empty_string_is_the_empty_set() {
    for empty in ["", " \n", ",", " , ,\n"] {
        assert!(set(empty).is_empty(), "{empty:?}");
    }
    assert_eq!(GtidSet::new().to_string(), "");
}

#[test]
fn merges_adjacent_and_overlapping_intervals() {
    assert_eq!(
        set(&format!("{A}:1-3:4-6:5-9:11")).to_string(),
        format!("{A}:1-9:11")
    );
    assert_eq!(set(&format!("{A}:1,{A}:2")).to_string(), format!("{A}:1-2"));
    assert_eq!(
        set(&format!("{A}:7:3:1-2")).to_string(),
        format!("{A}:1-3:7")
    );
}

#[test]
fn parses_and_prints_tagged_gtids_of_mysql_8_4() {
    let parsed = set(&format!("{A}:1-5:Audit:1-2:4,{A}:batch:9"));
    assert_eq!(parsed.to_string(), format!("{A}:1-5:audit:1-2:4:batch:9"));
    let audit = source(A, "audit");
    assert!(parsed.contains(&audit, 4));
    assert!(!parsed.contains(&audit, 5));
    assert!(!parsed.contains(&audit, 3));
    assert_eq!(set(&parsed.to_string()), parsed);
    assert_eq!(
        set(&format!("{A}:_t:1:t_2:2")).to_string(),
        format!("{A}:_t:1:t_2:2")
    );
}

#[test]
fn the_first_and_the_largest_transaction_numbers_parse() {
    let edges = set(&format!("{A}:1:{MAX_GNO}"));
    assert_eq!(edges.to_string(), format!("{A}:1:{MAX_GNO}"));
    assert_eq!(edges.count(), 2);
    let whole = set(&format!("{A}:1-{MAX_GNO}"));
    assert_eq!(whole.count(), MAX_GNO);
    assert!(whole.contains(&source(A, ""), MAX_GNO));
}

#[test]
fn the_largest_transaction_number_is_mysqls() {
    // GNO_END - 1: the largest a server assigns; one more is refused.
    assert_eq!(MAX_GNO, 9_223_372_036_854_775_806);
    assert_eq!(set(&format!("{A}:9223372036854775806")).count(), 1);
    let refused = format!("{A}:9223372036854775807").parse::<GtidSet>();
    assert_eq!(refused.map_err(|e| e.kind()), Err("number"));
}

#[test]
fn sets_are_json_strings_in_mysqls_text_form() {
    let parsed = set(&format!("{B}:1-3,{A}:7:audit:2"));
    let json = serde_json::to_string(&parsed).unwrap();
    assert_eq!(json, format!("\"{A}:7:audit:2,{B}:1-3\""));
    assert_eq!(serde_json::from_str::<GtidSet>(&json).unwrap(), parsed);
    assert_eq!(
        serde_json::from_str::<GtidSet>("\"\"").unwrap(),
        GtidSet::new()
    );
    let error = serde_json::from_str::<GtidSet>(&format!("\"{A}:5-3\"")).unwrap_err();
    assert!(error.to_string().contains("\"5-3\""), "{error}");
    let schema = serde_json::to_value(schemars::schema_for!(GtidSet)).unwrap();
    assert_eq!(schema["title"], "GtidSet");
    assert_eq!(schema["type"], "string");
    let example = schema["examples"][0].as_str().unwrap();
    assert_eq!(set(example).to_string(), example);
}

#[test]
fn rejects_malformed_text_with_its_reason() {
    let long_tag = "t".repeat(33);
    let cases: Vec<(String, &str)> = vec![
        ("not-a-uuid:1".into(), "uuid"),
        (format!("{}g:1", &A[..35]), "uuid"),
        (format!("{}:1", A.replace('-', "")), "uuid"),
        (format!("{}:1", &A[..35]), "uuid"),
        (format!("{A}0:1"), "uuid"),
        (format!("{}:1", A.replacen('-', "_", 1)), "uuid"),
        (format!("{} {}:1", &A[..10], &A[10..]), "uuid"),
        (format!("{{{A}}}:1"), "uuid"),
        (A.into(), "empty"),
        (format!("{A}:audit"), "empty"),
        (format!("{A}:1-5:audit"), "empty"),
        (format!("{A}:audit:tag2:1"), "empty"),
        (format!("{A}:0"), "number"),
        (format!("{A}:0-5"), "number"),
        (format!("{A}:+5"), "number"),
        (format!("{A}:1-+5"), "number"),
        (format!("{A}:05"), "number"),
        (format!("{A}:0x5"), "number"),
        (format!("{A}:1 2"), "number"),
        (format!("{A}:1-2 3"), "number"),
        (format!("{A}:٣"), "number"),
        (format!("{A}:{}", MAX_GNO + 1), "number"),
        (format!("{A}:1-{}", u64::MAX), "number"),
        (format!("{A}:99999999999999999999"), "number"),
        (format!("{A}:5-3"), "reversed"),
        (format!("{A}:{MAX_GNO}-1"), "reversed"),
        (format!("{A}:1-"), "interval"),
        (format!("{A}:-1"), "interval"),
        (format!("{A}:1--5"), "interval"),
        (format!("{A}:1-2-3"), "interval"),
        (format!("{A}::1"), "interval"),
        (format!("{A}:1:"), "interval"),
        (format!("{A}:9tag:1"), "number"),
        (format!("{A}:ta-g:1"), "tag"),
        (format!("{A}:ta g:1"), "tag"),
        (format!("{A}:tag!:1"), "tag"),
        (format!("{A}:{long_tag}:1"), "tag"),
    ];
    for (text, kind) in &cases {
        match text.parse::<GtidSet>() {
            Ok(parsed) => panic!("{text:?} parsed as {parsed}"),
            Err(e) => {
                assert_eq!(e.kind(), *kind, "{text:?}: {e}");
                assert!(!e.to_string().contains('\n'), "{e}");
            }
        }
    }
    assert_eq!(
        format!("{A}:{}:1", "t".repeat(32))
            .parse::<GtidSet>()
            .map(|s| s.count()),
        Ok(1)
    );
}

#[test]
fn errors_name_the_piece_and_cut_a_long_one() {
    let error = format!("{A}:1-5:5-3").parse::<GtidSet>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "interval \"5-3\" in a GTID set ends before it starts"
    );
    let long = "7".repeat(100_000);
    let error = format!("{A}:{long}").parse::<GtidSet>().unwrap_err();
    assert_eq!(
        error,
        GtidParseError::Number(format!("{}…", "7".repeat(64)))
    );
    let exact = "7".repeat(64);
    let error = format!("{A}:{exact}").parse::<GtidSet>().unwrap_err();
    assert_eq!(error, GtidParseError::Number(exact));
    let error = format!("{A}:audit").parse::<GtidSet>().unwrap_err();
    assert_eq!(error, GtidParseError::Empty(format!("{A}:audit")));
    let error = A.parse::<GtidSet>().unwrap_err();
    assert_eq!(error, GtidParseError::Empty(A.into()));
}

#[test]
fn inserting_leaves_out_numbers_no_transaction_has() {
    let mut s = GtidSet::new();
    s.insert_interval(source(A, ""), 0, 0);
    s.insert_interval(source(A, ""), 9, 3);
    s.insert_interval(source(A, ""), MAX_GNO + 1, u64::MAX);
    assert!(s.is_empty());
    s.insert_interval(source(A, ""), 0, 2);
    s.insert_interval(source(A, ""), MAX_GNO - 1, u64::MAX);
    assert_eq!(s.to_string(), format!("{A}:1-2:{}-{MAX_GNO}", MAX_GNO - 1));
    assert_eq!(s.count(), 4);
}

#[test]
fn inserting_merges_with_the_neighbours_it_touches() {
    let mut s = set(&format!("{A}:1-2:5-6:9-10:20"));
    s.insert_interval(source(A, ""), 3, 8);
    assert_eq!(s.to_string(), format!("{A}:1-10:20"));
    s.insert_interval(source(A, ""), 15, 15);
    s.insert_interval(source(A, ""), 12, 12);
    assert_eq!(s.to_string(), format!("{A}:1-10:12:15:20"));
    s.insert_interval(source(A, ""), 11, 21);
    assert_eq!(s.to_string(), format!("{A}:1-21"));
    s.insert_interval(source(A, ""), 4, 6);
    assert_eq!(s.to_string(), format!("{A}:1-21"));
}

#[test]
fn counting_the_largest_sets_saturates() {
    let every = set(&format!("{A}:1-{MAX_GNO},{B}:1-{MAX_GNO},{C}:1-{MAX_GNO}"));
    assert_eq!(every.count(), u64::MAX);
    assert_eq!(
        set(&format!("{A}:1-{MAX_GNO},{B}:1-{MAX_GNO}")).count(),
        2 * MAX_GNO
    );
}

#[test]
fn set_operations_match_mysql_examples() {
    let executed = set(&format!("{A}:1-10,{B}:1-3"));
    let joiner = set(&format!("{A}:1-4"));
    assert!(joiner.is_subset(&executed));
    assert_eq!(
        executed.difference(&joiner).to_string(),
        format!("{A}:5-10,{B}:1-3")
    );
    let errant = set(&format!("{A}:1-4,{B}:7"));
    assert!(!errant.is_subset(&executed));
    assert_eq!(errant.difference(&executed).to_string(), format!("{B}:7"));
    assert_eq!(
        executed
            .intersection(&set(&format!("{A}:8-20")))
            .to_string(),
        format!("{A}:8-10")
    );
}

// --- A naive model over a small universe: the set of (uuid, tag, number) triples. ---

type Naive = BTreeSet<(u8, u8, u64)>;

fn uuid_of(i: u8) -> &'static str {
    [A, B, C][usize::from(i % 3)]
}

fn tag_of(i: u8) -> &'static str {
    ["", "t1", "audit_2"][usize::from(i % 3)]
}

/// The set with these maximal runs, built without the code under test.
fn from_runs(runs: BTreeMap<(u8, u8), Vec<(u64, u64)>>) -> GtidSet {
    let sources = runs
        .into_iter()
        .filter(|(_, runs)| !runs.is_empty())
        .map(|((u, t), runs)| (source(uuid_of(u), tag_of(t)), runs))
        .collect();
    GtidSet { sources }
}

/// Appends `lo..=hi` to the runs, extending the last run when it ends at `lo - 1`.
fn extend_runs(runs: &mut Vec<(u64, u64)>, lo: u64, hi: u64) {
    match runs.last_mut() {
        Some(last) if last.1 + 1 == lo => last.1 = hi,
        _ => runs.push((lo, hi)),
    }
}

fn naive_to_set(naive: &Naive) -> GtidSet {
    let mut runs: BTreeMap<(u8, u8), Vec<(u64, u64)>> = BTreeMap::new();
    for &(u, t, g) in naive {
        extend_runs(runs.entry((u, t)).or_default(), g, g);
    }
    from_runs(runs)
}

/// Built one number at a time, in random order, by the code under test.
fn inserted(numbers: &[(u8, u8, u64)]) -> GtidSet {
    let mut out = GtidSet::new();
    for &(u, t, g) in numbers {
        out.insert_interval(source(uuid_of(u), tag_of(t)), g, g);
    }
    out
}

fn naive_numbers() -> impl Strategy<Value = Vec<(u8, u8, u64)>> {
    proptest::collection::vec((0u8..3, 0u8..3, 1u64..40), 0..60)
}

// --- A model for any numbers: each source's number line cut at every interval's start and
// end + 1; a piece between two cuts lies wholly in or out of a set, which the count of the
// set's raw intervals covering it tells (+1 at a start, -1 after an end, summed in order). ---

/// Raw intervals as a user or a server might write them: unsorted, overlapping, touching.
type Raw = Vec<(u8, u8, u64, u64)>;

/// One piece of a source's number line: `lo..=hi`, and whether each of two sets holds it.
#[derive(Debug, Clone, Copy)]
struct Piece {
    lo: u64,
    hi: u64,
    in_a: bool,
    in_b: bool,
}

fn pieces(a: &Raw, b: &Raw) -> BTreeMap<(u8, u8), Vec<Piece>> {
    let mut cuts: BTreeMap<(u8, u8), Vec<u64>> = BTreeMap::new();
    for &(u, t, lo, hi) in a.iter().chain(b) {
        cuts.entry((u, t)).or_default().extend([lo, hi + 1]);
    }
    cuts.into_iter()
        .map(|(key, mut cuts)| {
            cuts.sort_unstable();
            cuts.dedup();
            let covered = |raw: &Raw| {
                let mut depth = vec![0i64; cuts.len()];
                for &(_, _, lo, hi) in raw.iter().filter(|r| (r.0, r.1) == key) {
                    depth[cuts.binary_search(&lo).unwrap()] += 1;
                    depth[cuts.binary_search(&(hi + 1)).unwrap()] -= 1;
                }
                depth
                    .iter()
                    .scan(0, |sum, d| {
                        *sum += d;
                        Some(*sum > 0)
                    })
                    .collect::<Vec<_>>()
            };
            let (in_a, in_b) = (covered(a), covered(b));
            let pieces = cuts
                .windows(2)
                .enumerate()
                .map(|(i, w)| Piece {
                    lo: w[0],
                    hi: w[1] - 1,
                    in_a: in_a[i],
                    in_b: in_b[i],
                })
                .collect();
            (key, pieces)
        })
        .collect()
}

/// The set of the pieces `keep` selects.
fn selected(model: &BTreeMap<(u8, u8), Vec<Piece>>, keep: impl Fn(&Piece) -> bool) -> GtidSet {
    let runs = model
        .iter()
        .map(|(key, pieces)| {
            let mut runs = Vec::new();
            for p in pieces.iter().filter(|p| keep(p)) {
                extend_runs(&mut runs, p.lo, p.hi);
            }
            (*key, runs)
        })
        .collect();
    from_runs(runs)
}

fn raw_inserted(raw: &Raw) -> GtidSet {
    let mut out = GtidSet::new();
    for &(u, t, lo, hi) in raw {
        out.insert_interval(source(uuid_of(u), tag_of(t)), lo, hi);
    }
    out
}

/// The raw intervals as text in their order, in one of the forms MySQL accepts: runs of one
/// source in one entry or one entry each, UUIDs and tags in either case, optional whitespace
/// around separators.
fn raw_text(raw: &Raw, style: u8) -> String {
    let (upper, spaced, grouped) = (style & 1 != 0, style & 2 != 0, style & 4 != 0);
    let sep = |s: &str| {
        if spaced {
            format!(" {s}\n")
        } else {
            s.to_string()
        }
    };
    let mut text = String::new();
    let mut last: Option<(u8, u8)> = None;
    for &(u, t, lo, hi) in raw {
        if !(grouped && last == Some((u, t))) {
            if last.is_some() {
                text += &sep(",");
            }
            let (uuid, tag) = (uuid_of(u), tag_of(t));
            text += &if upper {
                uuid.to_uppercase()
            } else {
                uuid.to_string()
            };
            if !tag.is_empty() {
                text += &sep(":");
                text += &if upper {
                    tag.to_uppercase()
                } else {
                    tag.to_string()
                };
            }
        }
        last = Some((u, t));
        text += &sep(":");
        text += &if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}{}{hi}", sep("-"))
        };
    }
    text
}

fn gno() -> impl Strategy<Value = u64> {
    prop_oneof![1u64..=64, (MAX_GNO - 64)..=MAX_GNO, 1..=MAX_GNO]
}

/// Few intervals anywhere, many at the ends of the number range, some up to the last number.
fn sparse() -> impl Strategy<Value = Raw> {
    let length = prop_oneof![0u64..4, 0u64..1_000, Just(MAX_GNO)];
    proptest::collection::vec((0u8..3, 0u8..3, gno(), length), 0..24).prop_map(|raw| {
        raw.into_iter()
            .map(|(u, t, lo, len)| (u, t, lo, lo.saturating_add(len).min(MAX_GNO)))
            .collect()
    })
}

/// Thousands of short intervals in a narrow window from `base`: the fragmented sets of a
/// long-lived multi-primary group, overlapping and touching at random.
fn fragmented(base: u64) -> impl Strategy<Value = Raw> {
    proptest::collection::vec((0u8..2, 0u8..2, 0u64..6_000, 0u64..3), 0..2_000).prop_map(
        move |raw| {
            raw.into_iter()
                .map(|(u, t, offset, len)| (u, t, base + offset, base + offset + len))
                .collect()
        },
    )
}

fn base() -> impl Strategy<Value = u64> {
    prop_oneof![Just(1u64), Just(MAX_GNO - 6_002), 1..=MAX_GNO - 6_002]
}

/// Two sets that share sources and numbers often enough to exercise every case.
fn pair() -> impl Strategy<Value = (Raw, Raw)> {
    prop_oneof![
        (sparse(), sparse()),
        base().prop_flat_map(|base| (fragmented(base), fragmented(base))),
        (fragmented(1), sparse()),
    ]
}

proptest! {
    #![proptest_config(crate::proptest_seed::config(2000))]

    #[test]
    fn operations_agree_with_a_naive_set_model(a in naive_numbers(), b in naive_numbers()) {
        let (x, y) = (inserted(&a), inserted(&b));
        let (a, b): (Naive, Naive) = (a.into_iter().collect(), b.into_iter().collect());
        prop_assert_eq!(&x, &naive_to_set(&a));
        prop_assert_eq!(x.union(&y), naive_to_set(&a.union(&b).copied().collect()));
        prop_assert_eq!(x.intersection(&y), naive_to_set(&a.intersection(&b).copied().collect()));
        prop_assert_eq!(x.difference(&y), naive_to_set(&a.difference(&b).copied().collect()));
        prop_assert_eq!(x.is_subset(&y), a.is_subset(&b));
        prop_assert_eq!(x.intersects(&y), !a.is_disjoint(&b));
        prop_assert_eq!(x.count(), a.len() as u64);
        prop_assert_eq!(x.is_empty(), a.is_empty());
        prop_assert_eq!(x == y, a == b);
        for u in 0..3 {
            for t in 0..3 {
                for g in 0..=41 {
                    prop_assert_eq!(x.contains(&source(uuid_of(u), tag_of(t)), g), a.contains(&(u, t, g)));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(crate::proptest_seed::config(256))]

    #[test]
    fn operations_agree_with_the_cut_model_on_edge_and_fragmented_sets(
        (a, b) in pair(),
        style in any::<u8>(),
    ) {
        let model = pieces(&a, &b);
        let (x, y) = (raw_inserted(&a), raw_inserted(&b));
        prop_assert_eq!(&x, &selected(&model, |p| p.in_a));
        prop_assert_eq!(&y, &selected(&model, |p| p.in_b));
        prop_assert_eq!(&raw_text(&a, style).parse::<GtidSet>().unwrap(), &x);
        prop_assert_eq!(x.union(&y), selected(&model, |p| p.in_a || p.in_b));
        prop_assert_eq!(x.intersection(&y), selected(&model, |p| p.in_a && p.in_b));
        prop_assert_eq!(x.difference(&y), selected(&model, |p| p.in_a && !p.in_b));
        prop_assert_eq!(y.difference(&x), selected(&model, |p| p.in_b && !p.in_a));
        let all = |f: &dyn Fn(&Piece) -> bool| model.values().flatten().all(f);
        prop_assert_eq!(x.is_subset(&y), all(&|p| !p.in_a || p.in_b));
        prop_assert_eq!(y.is_subset(&x), all(&|p| !p.in_b || p.in_a));
        prop_assert_eq!(x.intersects(&y), !all(&|p| !(p.in_a && p.in_b)));
        let count = model.values().flatten().filter(|p| p.in_a)
            .map(|p| u128::from(p.hi - p.lo + 1)).sum::<u128>();
        prop_assert_eq!(u128::from(x.count()), count.min(u128::from(u64::MAX)));
        for (&(u, t), pieces) in &model {
            let s = source(uuid_of(u), tag_of(t));
            for p in pieces {
                prop_assert_eq!(x.contains(&s, p.lo), p.in_a);
                prop_assert_eq!(x.contains(&s, p.hi), p.in_a);
            }
        }
    }

    #[test]
    fn every_printed_set_parses_back_to_itself(
        a in prop_oneof![sparse(), base().prop_flat_map(fragmented)],
    ) {
        let x = raw_inserted(&a);
        let text = x.to_string();
        let parsed = text.parse::<GtidSet>().unwrap();
        prop_assert_eq!(&parsed, &x);
        prop_assert_eq!(parsed.to_string(), text);
    }
}

// --- Malformed text: a valid set's text with one piece broken in one of the ways MySQL never
// prints, each refused with its reason. ---

#[derive(Debug, Clone, Copy)]
enum Break {
    /// A UUID character replaced by one that is not a hex digit.
    UuidNotHex,
    /// A UUID shortened by a character.
    UuidShort,
    /// Whitespace inside a UUID.
    UuidSpace,
    /// `+` before a number.
    Plus,
    /// `-` before an interval.
    Minus,
    /// Whitespace and another digit after a number.
    NumberSpace,
    /// A number replaced by 0.
    Zero,
    /// A leading zero before a number (MySQL would read it as octal).
    LeadingZero,
    /// A number in hex.
    Hex,
    /// A non-ASCII digit.
    WideDigit,
    /// A number past MAX_GNO.
    TooLarge,
    /// `b-a` for `a < b`.
    Reversed,
    /// Another `-`.
    DoubleDash,
    /// An empty piece after the UUID.
    EmptyPiece,
    /// A tag with no intervals at the entry's end.
    TrailingTag,
    /// The entry replaced by `uuid:tag`.
    LoneTag,
    /// The entry replaced by its UUID alone.
    LoneUuid,
    /// A tag that is not one.
    BadTag,
}

const BREAKS: [Break; 18] = [
    Break::UuidNotHex,
    Break::UuidShort,
    Break::UuidSpace,
    Break::Plus,
    Break::Minus,
    Break::NumberSpace,
    Break::Zero,
    Break::LeadingZero,
    Break::Hex,
    Break::WideDigit,
    Break::TooLarge,
    Break::Reversed,
    Break::DoubleDash,
    Break::EmptyPiece,
    Break::TrailingTag,
    Break::LoneTag,
    Break::LoneUuid,
    Break::BadTag,
];

/// Breaks one interval or the UUID of `entry` (MySQL's canonical text of one UUID) and says
/// which error kind the result must give.
fn break_entry(entry: &str, how: Break, at: Index, pick: u64) -> (String, &'static str) {
    let mut pieces: Vec<String> = entry.split(':').map(str::to_string).collect();
    let uuid = pieces[0].clone();
    let intervals: Vec<usize> = (1..pieces.len())
        .filter(|&i| pieces[i].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let i = intervals[at.index(intervals.len())];
    let (lo, hi) = match pieces[i].split_once('-') {
        Some((lo, hi)) => (lo.parse::<u64>().unwrap(), hi.parse::<u64>().unwrap()),
        None => {
            let n = pieces[i].parse::<u64>().unwrap();
            (n, n)
        }
    };
    let hex_positions: Vec<usize> = (0..36).filter(|p| ![8, 13, 18, 23].contains(p)).collect();
    let p = hex_positions[at.index(hex_positions.len())];
    let kind = match how {
        Break::UuidNotHex => {
            let bad = ['g', 'Z', '+', '_', '.', 'é', '\0', 'x'][(pick % 8) as usize];
            pieces[0] = format!("{}{bad}{}", &uuid[..p], &uuid[p + 1..]);
            "uuid"
        }
        Break::UuidShort => {
            pieces[0] = format!("{}{}", &uuid[..p], &uuid[p + 1..]);
            "uuid"
        }
        Break::UuidSpace => {
            pieces[0] = format!("{} {}", &uuid[..p.max(1)], &uuid[p.max(1)..]);
            "uuid"
        }
        Break::Plus => {
            pieces[i] = format!("+{}", pieces[i]);
            "number"
        }
        Break::Minus => {
            pieces[i] = format!("-{}", pieces[i]);
            "interval"
        }
        Break::NumberSpace => {
            pieces[i] = format!("{lo} {}-{hi}", pick % 10);
            "number"
        }
        Break::Zero => {
            pieces[i] = format!("0-{hi}");
            "number"
        }
        Break::LeadingZero => {
            pieces[i] = format!("0{lo}-{hi}");
            "number"
        }
        Break::Hex => {
            pieces[i] = format!("{lo}-0x{hi:x}");
            "number"
        }
        Break::WideDigit => {
            pieces[i] = format!("{lo}-{hi}{}", ['٣', '５', '²'][(pick % 3) as usize]);
            "number"
        }
        Break::TooLarge => {
            let big = match pick % 3 {
                0 => (MAX_GNO + 1 + pick % 1000).to_string(),
                1 => u64::MAX.to_string(),
                _ => format!("{}{}", u64::MAX, pick % 10),
            };
            pieces[i] = format!("{lo}-{big}");
            "number"
        }
        Break::Reversed => {
            pieces[i] = if lo < hi {
                format!("{hi}-{lo}")
            } else if lo < MAX_GNO {
                format!("{}-{lo}", lo + 1)
            } else {
                format!("{lo}-{}", lo - 1)
            };
            "reversed"
        }
        Break::DoubleDash => {
            pieces[i] = format!("{lo}--{hi}");
            "interval"
        }
        Break::EmptyPiece => {
            pieces.insert(1, String::new());
            "interval"
        }
        Break::TrailingTag => {
            pieces.push("dangling".into());
            "empty"
        }
        Break::LoneTag => {
            pieces.truncate(1);
            pieces.push("lone".into());
            "empty"
        }
        Break::LoneUuid => {
            pieces.truncate(1);
            "empty"
        }
        Break::BadTag => {
            let long = "t".repeat(33);
            let bad = ["t-g", "ta g", "t.g", "_é", &long][(pick % 5) as usize];
            pieces.insert(1, format!("{bad}:1"));
            "tag"
        }
    };
    (pieces.join(":"), kind)
}

/// A non-empty set, as MySQL prints it.
fn valid_text() -> impl Strategy<Value = String> {
    sparse()
        .prop_filter("non-empty", |raw| !raw.is_empty())
        .prop_map(|raw| raw_inserted(&raw).to_string())
}

proptest! {
    #![proptest_config(crate::proptest_seed::config(2000))]

    #[test]
    fn text_broken_in_any_way_mysql_never_prints_is_refused_with_its_reason(
        text in valid_text(),
        entry in any::<Index>(),
        how in proptest::sample::select(BREAKS.to_vec()),
        at in any::<Index>(),
        pick in any::<u64>(),
    ) {
        let mut entries: Vec<String> = text.split(',').map(str::to_string).collect();
        let e = entry.index(entries.len());
        let (broken, kind) = break_entry(&entries[e], how, at, pick);
        entries[e] = broken;
        let text = entries.join(",\n");
        match text.parse::<GtidSet>() {
            Ok(parsed) => prop_assert!(false, "{:?} ({:?}) parsed as {}", text, how, parsed),
            Err(error) => {
                prop_assert_eq!(error.kind(), kind, "{:?} ({:?}): {}", text, how, error);
                prop_assert!(!error.to_string().contains('\n'));
            }
        }
    }

    #[test]
    fn edited_text_never_panics_and_what_parses_prints_back(
        text in valid_text(),
        edits in proptest::collection::vec(
            (any::<Index>(), 0u8..3, proptest::sample::select(
                "0123456789abcdefABCDEF-:, \n\t+xyz_é٣".chars().collect::<Vec<_>>()
            )),
            1..6,
        ),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 => chars.insert(i, c),
                1 if i < chars.len() => chars[i] = c,
                _ if i < chars.len() => { chars.remove(i); }
                _ => {}
            }
        }
        let text: String = chars.into_iter().collect();
        if let Ok(parsed) = text.parse::<GtidSet>() {
            prop_assert_eq!(parsed.to_string().parse::<GtidSet>().unwrap(), parsed);
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = text.parse::<GtidSet>();
    }
}

#[test]
fn a_set_lists_its_intervals_in_order_and_keeps_one_source_on_request() {
    let all = set(&format!("{B}:7:1-3,{A}:tag:4-5:9,{A}:2"));
    let listed: Vec<(String, String, u64, u64)> = all
        .intervals()
        .map(|(s, a, b)| (s.uuid.clone(), s.tag.clone(), a, b))
        .collect();
    assert_eq!(
        listed,
        [
            (A.to_string(), String::new(), 2, 2),
            (A.to_string(), "tag".to_string(), 4, 5),
            (A.to_string(), "tag".to_string(), 9, 9),
            (B.to_string(), String::new(), 1, 3),
            (B.to_string(), String::new(), 7, 7),
        ]
    );
    assert_eq!(all.of_source(&source(A, "")), set(&format!("{A}:2")));
    assert_eq!(
        all.of_source(&source(A, "tag")),
        set(&format!("{A}:tag:4-5:9"))
    );
    assert!(all.of_source(&source(C, "")).is_empty());
}
