//! The library's top-level modules are layers (`src/lib.rs`, "# Layout", bottom up): a module
//! may name only itself and the modules listed above it. Every `crate::<module>` path in a
//! module's code (a `use crate::{a, b::c}` group counts each of its names) is checked against
//! that order, and the import graph against cycles; comments do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A reference from one top-level module to another, where it was written.
#[derive(Debug)]
struct Import {
    from: String,
    to: String,
    at: String,
}

#[test]
fn every_module_imports_only_the_layers_below_it_and_no_import_cycle_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let order = layout(&lib);
    assert!(order.len() >= 10, "the layout lists only {order:?}");
    assert_eq!(
        order.iter().cloned().collect::<BTreeSet<_>>(),
        declared(&lib),
        "the layout and the `mod` declarations of lib.rs differ"
    );
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();

    let mut imports = Vec::new();
    for module in &order {
        for file in files_of(&src, module) {
            let text = std::fs::read_to_string(&file).unwrap();
            let name = file.strip_prefix(&src).unwrap().display().to_string();
            for (line, to) in references(&text) {
                assert!(
                    rank.contains_key(to.as_str()),
                    "src/{name}:{line} names crate::{to}, which is not a top-level module"
                );
                if &to != module {
                    imports.push(Import {
                        from: module.clone(),
                        to,
                        at: format!("src/{name}:{line}"),
                    });
                }
            }
        }
    }
    assert!(imports.len() > 50, "only {} imports found", imports.len());

    let upward: Vec<String> = imports
        .iter()
        .filter(|i| rank[i.to.as_str()] > rank[i.from.as_str()])
        .map(|i| format!("{}: {} imports {}, a layer above it", i.at, i.from, i.to))
        .collect();
    let cycles = cycles(&imports);
    assert!(
        upward.is_empty() && cycles.is_empty(),
        "against the layer order ({}):\n{}\ncycles:\n{}",
        order.join(" < "),
        upward.join("\n"),
        cycles.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_nested_and_inline_paths_but_not_comments() {
    let code = "use crate::{\n    model::Instance,\n    plan::{self, Plan},\n};\n\
                // use crate::keeper;\n\
                /// [`x`](crate::wiring::X)\n\
                let x = crate::report::topology::SOURCE; // crate::lambda\n\
                let url = \"https://example.com\"; crate::gtid::GtidSet::new();\n";
    let found: Vec<(usize, String)> = references(code);
    let names: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(names, ["model", "plan", "report", "gtid"]);
    assert_eq!(found[1].0, 1);
    assert_eq!(found[2].0, 7);

    let imports = |edges: &[(&str, &str)]| -> Vec<Import> {
        edges
            .iter()
            .map(|(from, to)| Import {
                from: (*from).into(),
                to: (*to).into(),
                at: String::new(),
            })
            .collect()
    };
    assert_eq!(
        cycles(&imports(&[("a", "b"), ("b", "c"), ("c", "a")])),
        ["a -> b -> c -> a"]
    );
    assert!(cycles(&imports(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
}

/// The module names of the "# Layout" list of `lib.rs`, in order.
fn layout(lib: &str) -> Vec<String> {
    lib.lines()
        .skip_while(|l| l.trim() != "//! # Layout")
        .take_while(|l| l.starts_with("//!"))
        .filter_map(|l| l.strip_prefix("//! - "))
        .filter_map(|item| {
            let name = item.trim_start_matches(['[', '`']);
            let end = name.find('`')?;
            Some(name[..end].to_owned())
        })
        .collect()
}

/// The modules `lib.rs` declares.
fn declared(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

/// `src/<module>.rs` and every file under `src/<module>/`.
fn files_of(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut stack = vec![src.join(module)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    assert!(!files.is_empty(), "no source file for module {module}");
    files
}

/// Every top-level module a `crate::` path names, with its line number; comments are skipped.
fn references(text: &str) -> Vec<(usize, String)> {
    let code: Vec<&str> = text.lines().map(strip_comment).collect();
    let code = code.join("\n");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        // `pub(crate)` never precedes `::`; `$crate::` and `other_crate::` are not ours.
        if code[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let line = code[..start].matches('\n').count() + 1;
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            found.extend(group_heads(group).into_iter().map(|name| (line, name)));
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((line, name));
        }
    }
    found
}

/// The first segment of each item of a `{...}` group (after its opening brace), to the
/// matching closing brace: `model::Instance, plan::{self, Plan}}` -> `model`, `plan`.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    let mut current = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if depth == 0 && item_start && (c.is_alphanumeric() || c == '_') => current.push(c),
            _ if depth == 0 && !current.is_empty() => {
                heads.push(std::mem::take(&mut current));
                item_start = false;
            }
            _ => {}
        }
    }
    if !current.is_empty() {
        heads.push(current);
    }
    heads
}

/// `line` without a `//` comment (a `//` right after `:` is a URL in a string, not a comment).
fn strip_comment(line: &str) -> &str {
    let mut from = 0;
    while let Some(at) = line[from..].find("//") {
        let at = from + at;
        if !line[..at].ends_with(':') {
            return &line[..at];
        }
        from = at + 2;
    }
    line
}

/// Every cycle of the import graph, as `a -> b -> a` (each once, from its smallest module).
fn cycles(imports: &[Import]) -> Vec<String> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for import in imports {
        edges.entry(&import.from).or_default().insert(&import.to);
    }
    let mut found = BTreeSet::new();
    for &start in edges.keys() {
        // Depth-first from `start` through modules greater than it, back to `start`.
        let mut stack: Vec<Vec<&str>> = vec![vec![start]];
        while let Some(path) = stack.pop() {
            let last = path[path.len() - 1];
            for &next in edges.get(last).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    cycle.push(start);
                    found.insert(cycle.join(" -> "));
                } else if next > start && !path.contains(&next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
    found.into_iter().collect()
}
