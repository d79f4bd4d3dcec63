//! A self-contained HTML rendering of the OpenAPI document (`GET /v1/docs`): no script, no
//! external asset, so it works offline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// HTML rendering.

pub(super) const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// HTML-escape `s`.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with `` `code` `` spans as `<code>`, `**bold**` as `<b>` and blank lines as
/// paragraph breaks (the little Markdown the doc comments use).
pub(super) fn text(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
            continue;
        }
        for (j, piece) in part.split("**").enumerate() {
            if j % 2 == 1 {
                let _ = write!(out, "<b>{piece}</b>");
            } else {
                out.push_str(piece);
            }
        }
    }
    out.replace("\n\n", "<br><br>")
}

/// An id usable in `id=` and `href="#..."`.
pub(super) fn anchor(prefix: &str, s: &str) -> String {
    let mut out = String::from(prefix);
    for c in s.chars() {
        out.push(if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        });
    }
    out
}

/// A short description of a schema: a link to a named one, else its type.
pub(super) fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!(
            "<a href=\"#{}\">{}</a>",
            esc(&anchor("schema-", name)),
            esc(name)
        );
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_label(items));
    }
    for key in ["oneOf", "allOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .map(schema_label)
                .collect();
            return parts.join(if key == "allOf" { " + " } else { " | " });
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_owned(),
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => esc(&format!("{ty} ({f})")),
        None => esc(&ty),
    }
}

pub(super) fn content_labels(content: Option<&Value>) -> String {
    let Some(Value::Object(content)) = content else {
        return String::new();
    };
    content
        .iter()
        .map(|(ct, media)| {
            let schema = media.get("schema").map(schema_label).unwrap_or_default();
            format!("<code>{}</code> {schema}", esc(ct))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn render_operation(out: &mut String, path: &str, method: &str, op: &Value) {
    let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"m {}\">{}</span> <code>{}</code></h3>",
        esc(&anchor("op-", id)),
        esc(method),
        esc(&method.to_ascii_uppercase()),
        esc(path)
    );
    if let Some(s) = op.get("summary").and_then(Value::as_str) {
        let _ = write!(out, "<p class=\"summary\">{}</p>", text(s));
    }
    if let Some(d) = op.get("description").and_then(Value::as_str) {
        if !d.trim().is_empty() {
            let _ = write!(out, "<p>{}</p>", text(d));
        }
    }
    match op.get("security").and_then(Value::as_array) {
        Some(reqs) if !reqs.is_empty() => {
            let names: Vec<String> = reqs
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|o| o.keys().map(|k| esc(k)))
                .collect();
            let _ = write!(out, "<p><b>Auth:</b> {}</p>", names.join(" or "));
        }
        _ => out.push_str("<p><b>Auth:</b> none</p>"),
    }
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        out.push_str(
            "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>",
        );
        for p in params {
            let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
            let required = p.get("required").and_then(Value::as_bool) == Some(true);
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(s("name")),
                if required { " *" } else { "" },
                esc(s("in")),
                p.get("schema").map(schema_label).unwrap_or_default(),
                text(s("description"))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let _ = write!(
            out,
            "<p><b>Request body:</b> {}</p>",
            content_labels(body.get("content"))
        );
    }
    if let Some(Value::Object(responses)) = op.get("responses") {
        out.push_str("<table><tr><th>Status</th><th>Body</th><th>Description</th></tr>");
        for (status, r) in responses {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                content_labels(r.get("content")),
                text(r.get("description").and_then(Value::as_str).unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

pub(super) fn render_schema(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        out,
        "<section class=\"schema\" id=\"{}\"><h3>{}</h3>",
        esc(&anchor("schema-", name)),
        esc(name)
    );
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        let _ = write!(out, "<p>{}</p>", text(d));
    }
    // Properties of the schema and of the parts of an `allOf` (flattened structs).
    let mut parts = vec![schema];
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        parts.extend(all.iter());
    }
    let mut rows = String::new();
    for part in parts {
        if part.get("$ref").is_some() {
            let _ = write!(
                rows,
                "<tr><td colspan=\"3\">all fields of {}</td></tr>",
                schema_label(part)
            );
        }
        let required: Vec<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(Value::Object(props)) = part.get("properties") {
            for (prop, s) in props {
                let _ = write!(
                    rows,
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(prop),
                    if required.contains(&prop.as_str()) {
                        " *"
                    } else {
                        ""
                    },
                    schema_label(s),
                    text(s.get("description").and_then(Value::as_str).unwrap_or(""))
                );
            }
        }
    }
    if !rows.is_empty() {
        let _ = write!(
            out,
            "<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>{rows}</table>"
        );
    }
    out.push_str("</section>");
}

/// The whole page for the OpenAPI document `doc`.
pub(super) fn render_html(doc: &Value) -> String {
    let info = &doc["info"];
    let title = info["title"].as_str().unwrap_or("API");
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem;line-height:1.4;color:#222}}\
         code{{background:#f3f3f3;padding:0 .2em;border-radius:3px}}\
         table{{border-collapse:collapse;margin:.5rem 0;width:100%}}\
         td,th{{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}}\
         section.op,section.schema{{border-top:1px solid #ccc;padding:.5rem 0}}\
         .m{{display:inline-block;min-width:4.5em;text-align:center;color:#fff;border-radius:3px;padding:0 .3em;font-size:.9em}}\
         .get{{background:#2b7bb9}}.post{{background:#2e8540}}.put{{background:#b36b00}}.patch{{background:#7a4eb3}}.delete{{background:#b32d2e}}\
         .summary{{font-weight:600}}nav li{{margin:.1rem 0}}\
         </style></head><body><h1>{t} <small>{v}</small></h1>\
         <p><a href=\"/v1/openapi.json\">OpenAPI document (JSON)</a></p>",
        t = esc(title),
        v = esc(info["version"].as_str().unwrap_or(""))
    );
    if let Some(d) = info["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", text(d));
    }
    if let Some(Value::Object(schemes)) = doc.pointer("/components/securitySchemes") {
        out.push_str("<h2>Authentication</h2><ul>");
        for (name, s) in schemes {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(name),
                text(s.get("description").and_then(Value::as_str).unwrap_or(""))
            );
        }
        out.push_str("</ul>");
    }

    // Operations grouped by their first tag, in the order of the document's tags.
    let mut by_tag: BTreeMap<String, Vec<(&str, &str, &Value)>> = BTreeMap::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let tag = op
                        .pointer("/tags/0")
                        .and_then(Value::as_str)
                        .unwrap_or("other")
                        .to_owned();
                    by_tag.entry(tag).or_default().push((path, method, op));
                }
            }
        }
    }
    let mut tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter_map(|t| {
                    Some((
                        t["name"].as_str()?.to_owned(),
                        t["description"].as_str().unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for t in by_tag.keys() {
        if !tags.iter().any(|(n, _)| n == t) {
            tags.push((t.clone(), String::new()));
        }
    }

    out.push_str("<nav><h2>Contents</h2><ul>");
    for (tag, _) in &tags {
        let Some(ops) = by_tag.get(tag) else { continue };
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a><ul>",
            esc(&anchor("tag-", tag)),
            esc(tag)
        );
        for (path, method, op) in ops {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><span class=\"m {m}\">{}</span> <code>{}</code></a> {}</li>",
                esc(&anchor("op-", id)),
                esc(&method.to_ascii_uppercase()),
                esc(path),
                text(op.get("summary").and_then(Value::as_str).unwrap_or("")),
                m = esc(method)
            );
        }
        out.push_str("</ul></li>");
    }
    out.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");

    for (tag, description) in &tags {
        let Some(ops) = by_tag.get(tag) else { continue };
        let _ = write!(
            out,
            "<h2 id=\"{}\">{}</h2><p>{}</p>",
            esc(&anchor("tag-", tag)),
            esc(tag),
            text(description)
        );
        for (path, method, op) in ops {
            render_operation(&mut out, path, method, op);
        }
    }

    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") {
        for (name, schema) in schemas {
            render_schema(&mut out, name, schema);
        }
    }
    out.push_str("</body></html>");
    out
}
