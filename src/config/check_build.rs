//! One `[[check]]` of a check file turned into a [`Check`]: ids, module and subject,
//! matchers, `for_each`, targets, SOP; the spans of its parts kept for dry-run errors.

use super::*;

/// Spans of one check's parts, kept while loading so dry-run errors point at the field.
pub(super) struct CheckSpans {
    pub(super) file: usize,
    pub(super) whole: Range<usize>,
    pub(super) title: Range<usize>,
    pub(super) probe: Range<usize>,
    pub(super) expect: BTreeMap<String, Range<usize>>,
    pub(super) for_each: BTreeMap<String, Range<usize>>,
    pub(super) tags: Option<Range<usize>>,
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::Null => "nothing".into(),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

pub(super) fn build_check(
    file: &SourceFile,
    file_index: usize,
    category: &str,
    file_kind: crate::model::CheckKind,
    rc: Spanned<RawCheck>,
) -> Result<(Check, CheckSpans), ConfigError> {
    let whole = rc.span();
    let rc = rc.into_inner();
    let id = rc.id.get_ref().clone();
    if !valid_id(&id) {
        return Err(file.error(
            rc.id.span(),
            format!("bad check id {id:?}: expected letters, digits, `.`, `-` or `_`, like \"ssh.root-login\""),
        ));
    }
    let probe_span = rc.probe.span();
    let probe = rc.probe.into_inner();
    if probe.len() != 1 {
        return Err(file.error(
            probe_span,
            format!(
                "check `{id}`: probe names exactly one module, found {}; expected e.g. probe = {{ file = \"/etc/passwd\" }}",
                probe.len()
            ),
        ));
    }
    let Some((module_name, subject_v)) = probe.into_iter().next() else {
        return Err(file.error(probe_span, format!("check `{id}`: probe is empty")));
    };
    let Some(kind) = ModuleKind::from_name(&module_name) else {
        return Err(file.error(
            probe_span,
            format!(
                "check `{id}`: unknown module `{module_name}`: expected one of {}",
                ModuleKind::ALL.map(|m| m.as_str()).join(", ")
            ),
        ));
    };
    let subject_span = subject_v.span();
    let subject = match subject_v.into_inner() {
        Value::String(s) if !s.is_empty() => s,
        Value::Number(n) if n.is_u64() => n.to_string(),
        Value::Object(map)
            if kind == ModuleKind::Process
                && map.len() == 1
                && map.get("args").is_some_and(Value::is_string) =>
        {
            format!(
                "args:{}",
                map.get("args").and_then(Value::as_str).unwrap_or("")
            )
        }
        other => {
            let hint = if kind == ModuleKind::Process {
                "a process name or { args = \"regex\" }"
            } else {
                "a non-empty string"
            };
            return Err(file.error(
                subject_span,
                format!(
                    "check `{id}`: {kind} subject: expected {hint}, found {}",
                    describe_value(&other)
                ),
            ));
        }
    };
    let m = module(kind);
    let mut expect = BTreeMap::new();
    let mut expect_spans = BTreeMap::new();
    for (attr, v) in rc.expect {
        let span = v.span();
        if !m.attributes().contains(&attr.as_str()) {
            return Err(file.error(
                span,
                format!(
                    "check `{id}`: unknown attribute `{attr}` for module {kind}: expected one of {}",
                    m.attributes().join(", ")
                ),
            ));
        }
        let v = v.into_inner();
        // Matchers without placeholders are checked now; templated ones in the dry run.
        if !value_has_placeholder(&v) {
            if let Err(e) = crate::model::Matcher::parse(&v) {
                return Err(
                    file.error(span, format!("check `{id}`: bad matcher for `{attr}`: {e}"))
                );
            }
            if let Err(e) = m.validate_expect(&attr, &v) {
                return Err(file.error(
                    span,
                    format!("check `{id}`: bad expectation for `{attr}`: {e}"),
                ));
            }
        }
        expect_spans.insert(attr.clone(), span);
        expect.insert(attr, v);
    }
    if expect.is_empty() && m.requires_expect() {
        return Err(file.error(
            whole.clone(),
            format!(
                "check `{id}`: module {kind} has no default: expected `expect = {{ … }}` naming one of {}",
                m.attributes().join(", ")
            ),
        ));
    }
    let mut for_each = BTreeMap::new();
    let mut for_each_spans = BTreeMap::new();
    for (name, v) in rc.for_each {
        let span = v.span();
        let values = match v.into_inner() {
            Value::Array(items) => items,
            Value::String(s) if s.starts_with("{vars.") && s.ends_with('}') => {
                vec![Value::String(s)]
            }
            other => {
                return Err(file.error(
                    span,
                    format!(
                        "check `{id}`: for_each `{name}`: expected a list of values or \"{{vars.KEY}}\" naming a list var, found {}",
                        describe_value(&other)
                    ),
                ));
            }
        };
        if name == "host" || name == "env" || name == "vars" {
            return Err(file.error(
                span,
                format!("check `{id}`: for_each name `{name}` is reserved: expected another name"),
            ));
        }
        for_each_spans.insert(name.clone(), span);
        for_each.insert(name, values);
    }
    // Placeholders that can never resolve (not a matrix name, not vars.*, not a builtin).
    let mut templated: Vec<(Range<usize>, String)> = vec![
        (rc.title.span(), rc.title.get_ref().clone()),
        (subject_span.clone(), subject.clone()),
    ];
    for (attr, v) in &expect {
        if let Some(span) = expect_spans.get(attr) {
            collect_strings(v, &mut |s| templated.push((span.clone(), s.to_string())));
        }
    }
    for (span, s) in &templated {
        for p in template::placeholders(s) {
            if p.starts_with("vars.") || p == "host" || p == "env" || for_each.contains_key(&p) {
                continue;
            }
            let names: Vec<&str> = for_each.keys().map(String::as_str).collect();
            return Err(file.error(
                span.clone(),
                format!(
                    "check `{id}`: `{{{p}}}` is not defined: expected a for_each name{}, `{{vars.KEY}}`, `{{host}}` or `{{env}}`",
                    if names.is_empty() {
                        " (this check has no for_each)".to_string()
                    } else {
                        format!(" ({})", names.join(", "))
                    }
                ),
            ));
        }
    }
    let timeout = match rc.timeout {
        None => None,
        Some(t) => {
            let (span, secs) = (t.span(), *t.get_ref());
            if kind != ModuleKind::Command {
                return Err(file.error(
                    span,
                    format!("check `{id}`: `timeout` applies to command checks only, this one probes {kind}"),
                ));
            }
            if !(secs > 0.0 && secs <= 86_400.0) {
                return Err(file.error(
                    span,
                    format!("check `{id}`: timeout {secs}: expected seconds between 0 and 86400, e.g. timeout = 5"),
                ));
            }
            Some(std::time::Duration::from_secs_f64(secs))
        }
    };
    let (target_tags, tags_span) = match rc.targets.tags {
        Some(t) => {
            let span = t.span();
            (t.into_inner(), Some(span))
        }
        None => (Vec::new(), None),
    };
    let os_family = match rc.os_family {
        None => Vec::new(),
        Some(list) => {
            let span = list.span();
            let list = list.into_inner();
            let valid = |f: &String| {
                !f.is_empty()
                    && f.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            };
            if let Some(bad) = list.iter().find(|f| !valid(f)) {
                return Err(file.error(
                    span,
                    format!(
                        "check `{id}`: os_family: expected os-release IDs (lowercase letters, digits, `._-`) like \"debian\" or \"rhel\", found {bad:?}"
                    ),
                ));
            }
            if list.is_empty() {
                return Err(file.error(
                    span,
                    format!("check `{id}`: os_family is empty: expected at least one os-release ID, or leave it out"),
                ));
            }
            list
        }
    };
    let check = Check {
        id,
        title: rc.title.get_ref().clone(),
        category: category.to_string(),
        kind: rc.kind.unwrap_or(file_kind),
        severity: rc.severity,
        target_tags,
        for_each,
        module: kind,
        subject,
        expect,
        sop: rc.sop,
        timeout,
        secret: rc.secret,
        os_family,
        origin: file.location(whole.clone()),
    };
    let spans = CheckSpans {
        file: file_index,
        whole,
        title: rc.title.span(),
        probe: subject_span,
        expect: expect_spans,
        for_each: for_each_spans,
        tags: tags_span,
    };
    Ok((check, spans))
}

fn collect_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, f)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, f)),
        _ => {}
    }
}

/// A placeholder or a `{{`/`}}` escape anywhere in the value: it is checked once rendered.
fn value_has_placeholder(v: &Value) -> bool {
    let mut found = false;
    collect_strings(v, &mut |s| found |= template::is_template(s));
    found
}
