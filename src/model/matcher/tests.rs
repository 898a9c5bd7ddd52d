//! Unit tests of the matchers: each kind against the values a probe reports.

use super::*;
use serde_json::json;

#[test]
fn version_range_matcher() {
    let m = Matcher::parse(&json!({"version": ">= 2.4, < 3"})).unwrap();
    assert!(m.matches(&json!("2.4.1")));
    assert!(m.matches(&json!("2.10")));
    assert!(!m.matches(&json!("3.0")));
    assert!(!m.matches(&json!("2.3.9")));
    assert!(!m.matches(&Value::Null));
}

#[test]
fn scalar_equality_forgives_representation() {
    assert!(Matcher::parse(&json!(2)).unwrap().matches(&json!("2")));
    assert!(
        Matcher::parse(&json!("0644"))
            .unwrap()
            .matches(&json!("0644"))
    );
    assert!(
        !Matcher::parse(&json!("0644"))
            .unwrap()
            .matches(&json!("0600"))
    );
    assert!(Matcher::parse(&json!(true)).unwrap().matches(&json!(true)));
    assert!(!Matcher::parse(&json!(true)).unwrap().matches(&Value::Null));
}

#[test]
fn table_matchers() {
    assert!(
        Matcher::parse(&json!({"ge": 128}))
            .unwrap()
            .matches(&json!("4096"))
    );
    assert!(
        !Matcher::parse(&json!({"lt": 10}))
            .unwrap()
            .matches(&json!(10))
    );
    assert!(
        Matcher::parse(&json!({"in": ["a", "b"]}))
            .unwrap()
            .matches(&json!("b"))
    );
    assert!(
        Matcher::parse(&json!({"not": "x"}))
            .unwrap()
            .matches(&json!("y"))
    );
    assert!(
        Matcher::parse(&json!({"matches": "^1:9"}))
            .unwrap()
            .matches(&json!("1:9.2p1"))
    );
    assert!(
        Matcher::parse(&json!({"contains": ["sudo"]}))
            .unwrap()
            .matches(&json!(["adm", "sudo"]))
    );
    assert!(
        !Matcher::parse(&json!({"contains": ["sudo"]}))
            .unwrap()
            .matches(&json!(["adm"]))
    );
}

#[test]
fn bad_matchers_are_errors_with_a_reason() {
    let e = Matcher::parse(&json!({"matches": "("})).unwrap_err();
    assert!(e.0.contains("invalid regex"), "{e}");
    let e = Matcher::parse(&json!({"bogus": 1})).unwrap_err();
    assert!(e.0.contains("unknown matcher `bogus`"), "{e}");
    let e = Matcher::parse(&json!({"version": ">="})).unwrap_err();
    assert!(e.0.contains("has no version"), "{e}");
}

#[test]
fn combinators_set_and_len() {
    let m = |v: Value| Matcher::parse(&v).unwrap();
    // Goss `and`: stdout contains X and not Y.
    let both = m(json!({"all": [{"matches": "ok"}, {"not": {"matches": "error"}}]}));
    assert!(both.matches(&json!("all ok")));
    assert!(!both.matches(&json!("ok, one error")));
    assert!(!both.matches(&json!("nothing")));
    let either = m(json!({"any": ["0644", {"matches": "^06"}]}));
    assert!(either.matches(&json!("0644")) && either.matches(&json!("0600")));
    assert!(!either.matches(&json!("0755")));
    let set = m(json!({"set": ["sudo", "adm", 1000]}));
    assert!(
        set.matches(&json!(["1000", "adm", "sudo"])),
        "any order, loose equality"
    );
    assert!(!set.matches(&json!(["adm", "sudo"])), "a member missing");
    assert!(
        !set.matches(&json!(["adm", "sudo", "1000", "x"])),
        "an extra member"
    );
    assert!(
        !m(json!({"set": ["a", "a"]})).matches(&json!(["a", "b"])),
        "repeats count"
    );
    assert!(!set.matches(&json!("sudo adm 1000")) && !set.matches(&Value::Null));
    assert!(m(json!({"set": []})).matches(&json!([])));
    assert!(m(json!({"len": 2})).matches(&json!(["a", "b"])));
    assert!(m(json!({"len": {"ge": 3}})).matches(&json!("abc")));
    assert!(m(json!({"len": 0})).matches(&json!("")));
    assert!(!m(json!({"len": {"ge": 3}})).matches(&json!("ab")));
    assert!(
        !m(json!({"len": 0})).matches(&Value::Null),
        "absent has no length"
    );
    let nested = m(json!({"not": {"any": [{"len": 0}, {"contains": ["root"]}]}}));
    assert!(nested.matches(&json!(["alice"])) && !nested.matches(&json!(["root"])));
    for v in [
        json!({"all": [{"matches": "a"}, {"len": {"lt": 4.0}}]}),
        json!({"any": ["x", {"set": [1, 2]}]}),
        json!({"version": "> 1.0.0, < 2.0.0, != 1.5.0 || >= 3"}),
    ] {
        assert_eq!(m(v.clone()).to_json(), v);
    }
}

#[test]
fn bad_combinators_are_errors() {
    for (v, want) in [
        (json!({"all": []}), "non-empty list of matchers"),
        (json!({"any": "x"}), "`any` takes a list"),
        (json!({"all": [{"matches": "("}]}), "invalid regex"),
        (json!({"set": "a"}), "`set` takes a list"),
        (json!({"len": "many"}), "`len` takes a number"),
        (json!({"len": {"bogus": 1}}), "unknown matcher `bogus`"),
        (json!({"version": ">1.0.0 <2.0.0"}), "is not a version"),
    ] {
        let e = Matcher::parse(&v).unwrap_err();
        assert!(e.0.contains(want), "{v}: {e}");
    }
}

#[test]
fn matchers_read_as_people_write_them() {
    assert_eq!(
        describe_matcher(&json!({"all": [{"matches": "ok"}, {"not": {"matches": "err"}}]})),
        "(~ /ok/) and (not ~ /err/)"
    );
    assert_eq!(describe_matcher(&json!({"any": ["a", "b"]})), "(a) or (b)");
    assert_eq!(describe_matcher(&json!({"set": ["b", "a"]})), "set of b, a");
    assert_eq!(describe_matcher(&json!({"len": {"ge": 1}})), "len >= 1");
    assert_eq!(describe_matcher(&json!({"le": 4.0})), "<= 4");
    assert_eq!(describe_matcher(&json!({"ge": 128})), ">= 128");
    assert_eq!(describe_matcher(&json!("0644")), "0644");
    assert_eq!(describe_matcher(&json!(true)), "true");
    assert_eq!(
        describe_matcher(&json!({"in": ["0600", "0640"]})),
        "one of 0600, 0640"
    );
    assert_eq!(
        describe_matcher(&json!({"not": {"matches": "^x"}})),
        "not ~ /^x/"
    );
    assert_eq!(
        describe_matcher(&json!({"version": ">= 2.4, < 3"})),
        "version >= 2.4, < 3"
    );
    assert_eq!(
        describe_matcher(&json!({"contains": ["sudo", "adm"]})),
        "contains sudo, adm"
    );
    assert_eq!(
        describe_matcher(&json!({"a": 1, "b": 2})),
        r#"{"a":1,"b":2}"#
    );
}

#[test]
fn to_json_round_trips() {
    for v in [
        json!({"ge": 128.0}),
        json!({"matches": "^a$"}),
        json!("x"),
        json!({"version": ">= 2.4, < 3"}),
    ] {
        assert_eq!(Matcher::parse(&v).unwrap().to_json(), v);
    }
}

#[test]
fn numeric_comparisons_hold_exactly_at_their_boundaries() {
    let m = |v: Value| Matcher::parse(&v).unwrap();
    for (key, below, at, above) in [
        ("lt", true, false, false),
        ("le", true, true, false),
        ("gt", false, false, true),
        ("ge", false, true, true),
    ] {
        let c = m(json!({ key: 10 }));
        assert_eq!(
            [
                c.matches(&json!(9)),
                c.matches(&json!(" 10 ")),
                c.matches(&json!(10.5))
            ],
            [below, at, above],
            "{key}"
        );
        assert!(
            !c.matches(&json!("ten")) && !c.matches(&Value::Null),
            "{key}"
        );
        assert_eq!(c.to_json(), json!({ key: 10.0 }));
    }
    let e = Matcher::parse(&json!({"le": "ten"})).unwrap_err();
    assert_eq!(e.0, "`le` takes a number, found \"ten\"");
}

#[test]
fn each_matcher_kind_applies_to_each_value_shape() {
    let m = |v: Value| Matcher::parse(&v).unwrap();
    // A regex over a list matches when any item does; over a number, its text.
    let re = m(json!({"matches": "^ssh"}));
    assert!(re.matches(&json!(["cron", "sshd"])) && !re.matches(&json!(["cron"])));
    assert!(m(json!({"matches": "^22$"})).matches(&json!(22)));
    assert!(!re.matches(&Value::Null));
    // contains over a string: every substring; a non-string item never.
    let c = m(json!({"contains": ["PermitRoot", "no"]}));
    assert!(c.matches(&json!("PermitRootLogin no")));
    assert!(!c.matches(&json!("PermitRootLogin yes")));
    assert!(!m(json!({"contains": [1]})).matches(&json!("1")));
    assert!(!c.matches(&json!(1)) && !c.matches(&Value::Null));
    // A scalar contains argument is a list of one.
    assert_eq!(
        m(json!({"contains": "sudo"})).to_json(),
        json!({"contains": ["sudo"]})
    );
    assert!(m(json!({"contains": "sudo"})).matches(&json!(["sudo"])));
    // len of a list counts items, of a string characters (not bytes), else never.
    assert!(m(json!({"len": 3})).matches(&json!(["a", "b", "c"])));
    assert!(m(json!({"len": 2})).matches(&json!("é!")));
    assert!(!m(json!({"len": 1})).matches(&json!(1)));
    // set: a repeated wanted member does not pair with one item twice.
    assert!(!m(json!({"set": ["a", "a", "b"]})).matches(&json!(["a", "b", "b"])));
    assert!(m(json!({"set": ["a", "b", "a"]})).matches(&json!(["a", "a", "b"])));
    // in: loose equality with each option.
    assert!(m(json!({"in": [22, 2222]})).matches(&json!("2222")));
    assert!(!m(json!({"in": [22, 2222]})).matches(&json!("222")));
}

#[test]
fn loose_equality_forgives_only_representation() {
    let eq = |a: Value, b: Value| Matcher::parse(&a).unwrap().matches(&b);
    assert!(eq(json!(true), json!("true")) && eq(json!(false), json!("false")));
    assert!(!eq(json!(true), json!("false")) && !eq(json!(false), json!("true")));
    assert!(eq(json!("true"), json!(true)));
    assert!(eq(json!(2), json!(2.0)) && eq(json!("2"), json!(2)));
    assert!(!eq(json!(2), json!(3)) && !eq(json!(2), json!("two")));
    assert!(!eq(json!(1), json!(true)) && !eq(json!("x"), json!(["x"])));
    assert!(eq(Value::Null, Value::Null) && !eq(Value::Null, json!("")));
}

#[test]
fn declared_values_map_through_every_combinator() {
    let m = |v: Value| Matcher::parse(&v).unwrap();
    let upper = |v: &Value| match v {
        Value::String(s) => Value::String(s.to_uppercase()),
        other => other.clone(),
    };
    for (declared, mapped) in [
        (json!("a"), json!("A")),
        (json!({"in": ["a", "b"]}), json!({"in": ["A", "B"]})),
        (json!({"contains": ["a"]}), json!({"contains": ["A"]})),
        (json!({"set": ["a"]}), json!({"set": ["A"]})),
        (json!({"not": "a"}), json!({"not": "A"})),
        (
            json!({"all": ["a", {"not": "b"}]}),
            json!({"all": ["A", {"not": "B"}]}),
        ),
        (json!({"any": ["a", "b"]}), json!({"any": ["A", "B"]})),
        // Regexes, numbers, lengths and versions are not values of the attribute.
        (json!({"matches": "a"}), json!({"matches": "a"})),
        (json!({"len": 1.0}), json!({"len": 1.0})),
        (json!({"version": ">= 1"}), json!({"version": ">= 1"})),
    ] {
        assert_eq!(
            m(declared.clone()).map_values(&upper).to_json(),
            mapped,
            "{declared}"
        );
    }
    assert!(
        m(json!({"not": "a"}))
            .map_values(&upper)
            .matches(&json!("a"))
    );
}

#[test]
fn matchers_are_equal_when_declared_alike() {
    let m = |v: Value| Matcher::parse(&v).unwrap();
    assert_eq!(m(json!({"matches": "^a"})), m(json!({"matches": "^a"})));
    assert_ne!(m(json!({"matches": "^a"})), m(json!({"matches": "^b"})));
    assert_ne!(m(json!({"lt": 1})), m(json!({"le": 1})));
}

#[test]
fn malformed_tables_say_what_was_expected() {
    for (v, want) in [
        (
            json!({"lt": 1, "gt": 0}),
            "a matcher table has exactly one key (matches, in, not, lt, le, gt, ge, version, contains, set, len, all, any), found 2",
        ),
        (json!({}), "a matcher table has exactly one key"),
        (json!({"matches": 1}), "`matches` takes a regex string"),
        (json!({"in": "a"}), "`in` takes a list, found \"a\""),
        (
            json!({"version": 2}),
            "`version` takes a string like \">= 2.4, < 3\"",
        ),
        (
            json!({"len": true}),
            "`len` takes a number or a matcher like",
        ),
    ] {
        let e = Matcher::parse(&v).unwrap_err();
        assert!(e.0.starts_with(want), "{v}: {e}");
    }
    // A numeric len given as text is fine; so is a nested matcher.
    assert!(Matcher::parse(&json!({"len": "2"})).is_ok());
    assert!(Matcher::parse(&json!({"len": {"in": [1, 2]}})).is_ok());
}

#[test]
fn every_matcher_reads_as_people_write_it() {
    for (v, want) in [
        (json!({"lt": 3}), "< 3"),
        (json!({"gt": 2.5}), "> 2.5"),
        (json!({"ge": 1e15}), ">= 1000000000000000.0"),
        (json!({"ge": 999999999999999.0}), ">= 999999999999999"),
        (json!({"matches": "^a$"}), "~ /^a$/"),
        (json!({"set": "a"}), "set of a"),
        (json!({"contains": "a"}), "contains a"),
        (json!({"in": [1, null]}), "one of 1, absent"),
        (json!(null), "absent"),
        (json!({"all": "x"}), "\"x\""),
        (json!({"bogus": 1}), "{\"bogus\":1}"),
        (json!({"any": [{"lt": 1}, {"gt": 9}]}), "(< 1) or (> 9)"),
    ] {
        assert_eq!(describe_matcher(&v), want, "{v}");
    }
}

#[test]
fn version_matchers_hold_at_each_operators_boundary() {
    let m = |spec: &str| Matcher::parse(&json!({ "version": spec })).unwrap();
    for (spec, below, at, above) in [
        ("= 1:2.0-1", false, true, false),
        ("!= 1:2.0-1", true, false, true),
        ("< 1:2.0-1", true, false, false),
        (">= 1:2.0-1", false, true, true),
    ] {
        let v = m(spec);
        assert_eq!(
            [
                v.matches(&json!("1:2.0-0")),
                v.matches(&json!("1:2.0-1")),
                v.matches(&json!("1:2.0-1+b1"))
            ],
            [below, at, above],
            "{spec}"
        );
    }
    assert_eq!(CompareOp::Eq.as_str(), "=");
    assert_eq!(CompareOp::Ne.as_str(), "!=");
}
