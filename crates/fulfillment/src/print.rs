//! The printable kitchen ticket: a self-contained HTML page for an 80 mm printer, English
//! with the Arabic names beside them (right-to-left), every text escaped.

use crate::model::TicketDto;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn order_type_ar(kind: &str) -> &'static str {
    match kind {
        "dine_in" => "محلي",
        "takeaway" => "سفري",
        "pickup" => "استلام",
        "delivery" => "توصيل",
        _ => "",
    }
}

pub fn html(t: &TicketDto, branch: &str, branch_ar: Option<&str>) -> String {
    let mut out = String::with_capacity(2048);
    out.push_str(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kitchen ticket</title>\
         <style>body{font-family:sans-serif;width:72mm;margin:0 auto;font-size:14px}\
         h1{font-size:20px;margin:4px 0}.ar{direction:rtl;text-align:right;font-family:'Noto Naskh Arabic',sans-serif}\
         .row{display:flex;justify-content:space-between;gap:8px}.mods{margin-left:16px;font-size:12px}\
         .held{color:#777;font-style:italic}.void{text-decoration:line-through}.rush{font-weight:bold;border:2px solid #000;text-align:center}\
         hr{border:0;border-top:1px dashed #000}</style></head><body>",
    );
    out.push_str(&format!(
        "<div class=\"row\"><span>{}</span>{}</div>",
        esc(branch),
        branch_ar
            .map(|a| format!(
                "<span class=\"ar\" dir=\"rtl\" lang=\"ar\">{}</span>",
                esc(a)
            ))
            .unwrap_or_default()
    ));
    if t.rush {
        out.push_str(
            "<div class=\"rush\">RUSH · <span dir=\"rtl\" lang=\"ar\">مستعجل</span></div>",
        );
    }
    out.push_str(&format!(
        "<h1>#{} · {}</h1><div class=\"row\"><span>{}{}</span><span class=\"ar\" dir=\"rtl\" lang=\"ar\">{}</span></div>",
        t.order_number,
        esc(&t.station.to_uppercase()),
        esc(&t.order_type.replace('_', " ")),
        t.table
            .as_deref()
            .map(|x| format!(" · Table {}", esc(x)))
            .unwrap_or_default(),
        order_type_ar(&t.order_type),
    ));
    out.push_str(&format!(
        "<div>{}</div><hr>",
        t.fired_at
            .unwrap_or(t.created_at)
            .format("%Y-%m-%d %H:%M UTC")
    ));
    for i in &t.items {
        let mut tags = vec![];
        if let Some(s) = i.seat {
            tags.push(format!("seat {s}"));
        }
        if let Some(c) = i.course {
            tags.push(format!("course {c}"));
        }
        if i.held {
            tags.push("HELD".to_string());
        }
        if i.voided {
            tags.push("VOID · ملغى".to_string());
        }
        out.push_str(&format!(
            "<div class=\"{}\"><div class=\"row\"><span>{} × {}</span>{}</div>",
            match (i.voided, i.held) {
                (true, _) => "void",
                (false, true) => "held",
                _ => "",
            },
            i.quantity,
            esc(&i.name),
            i.name_ar
                .as_deref()
                .map(|a| format!(
                    "<span class=\"ar\" dir=\"rtl\" lang=\"ar\">{}</span>",
                    esc(a)
                ))
                .unwrap_or_default()
        ));
        if !tags.is_empty() {
            out.push_str(&format!(
                "<div class=\"mods\">{}</div>",
                esc(&tags.join(" · "))
            ));
        }
        for m in &i.modifiers {
            out.push_str(&format!("<div class=\"mods\">+ {}</div>", esc(m)));
        }
        if let Some(n) = &i.notes {
            out.push_str(&format!("<div class=\"mods\">Note: {}</div>", esc(n)));
        }
        out.push_str("</div>");
    }
    if let Some(n) = &t.order_notes {
        out.push_str(&format!("<hr><div>Order note: {}</div>", esc(n)));
    }
    out.push_str("</body></html>");
    out
}
