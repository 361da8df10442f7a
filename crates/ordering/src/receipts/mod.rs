//! Receipts: the simplified tax invoice of an order, as JSON and as printable HTML for an
//! 80 mm roll, in English and Arabic, by the rules of the branch's country: amounts in the
//! order's currency with its decimals (three for BHD, KWD and OMR), the seller the branch names
//! (or the brand), and the ZATCA (Saudi e-invoicing phase 1) QR code for Saudi branches only.
//! Where the order carries no VAT (Qatar and Kuwait today) it is a receipt, not a tax invoice.
//!
//! The invoice is what VAT applies to: the order total without the tip. Its VAT is the order's
//! invoice-level VAT (see `pricing`), so the QR code, the VAT line and the per-line figures
//! agree to the halala. The tip is shown after the invoice total, as money for the staff.

pub mod repo;
pub mod routes;
pub mod zatca;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use platform::{db::Tx, error::Result};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::orders::model::OrderDto;
use zatca::format_minor_units;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub order_id: Uuid,
    pub number: i32,
    pub seller_name: String,
    pub seller_name_ar: Option<String>,
    pub vat_number: Option<String>,
    pub branch_name: String,
    pub branch_name_ar: Option<String>,
    pub address: Option<String>,
    pub address_ar: Option<String>,
    pub issued_at: DateTime<Utc>,
    /// The branch's local time, as printed.
    pub issued_local: String,
    pub currency: String,
    /// Decimals of the currency: amounts are in 10^-minorUnits of it.
    pub minor_units: i16,
    pub lines: Vec<ReceiptLine>,
    pub discount_total: i64,
    pub service_charge: i64,
    pub delivery_fee: i64,
    /// Before VAT.
    pub net_of_vat: i64,
    pub vat_rate_bp: u32,
    pub vat: i64,
    /// The invoice total, VAT included (the QR code's field 4).
    pub invoice_total: i64,
    pub tip: i64,
    /// What the guest pays: invoice total + tip.
    pub total: i64,
    pub paid: i64,
    pub change_given: i64,
    /// Base64 TLV payload of the ZATCA QR code; present for a Saudi branch whose seller has a
    /// VAT number, absent elsewhere.
    pub qr_payload: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLine {
    pub name: String,
    pub name_ar: Option<String>,
    pub quantity: i32,
    pub unit_price: i64,
    pub amount: i64,
    /// Option and combo choice names, as sold.
    pub details: Vec<String>,
}

/// Builds the receipt of `order` (already authorised by the caller).
pub async fn build(tx: &mut Tx, order: &OrderDto) -> Result<Receipt> {
    let s = repo::seller(tx, order.branch_id).await?;
    let tz: Tz = s.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let t = &order.totals;
    let invoice_total = order.total - order.tip;
    let minor_units = platform::country::minor_units(tx, &order.currency).await?;
    // The QR code is ZATCA's: Saudi branches only, in SAR (its amounts have two decimals).
    let zatca = s.e_invoicing.as_deref() == Some("zatca") && order.currency == "SAR";
    let qr_payload = s
        .vat_number
        .as_deref()
        .filter(|_| zatca)
        .map(|vat| {
            zatca::qr_payload(
                s.name_ar.as_deref().unwrap_or(&s.name),
                vat,
                order.created_at,
                invoice_total,
                t.vat,
            )
        })
        .transpose()
        .map_err(anyhow::Error::from)?;
    Ok(Receipt {
        order_id: order.id,
        number: order.number,
        issued_at: order.created_at,
        issued_local: order
            .created_at
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        currency: order.currency.clone(),
        minor_units,
        // A voided line is not sold: the invoice does not list it.
        lines: order
            .lines
            .iter()
            .filter(|l| l.voided.is_none())
            .map(|l| ReceiptLine {
                name: l.name.clone(),
                name_ar: l.name_ar.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: l.gross,
                details: details(&l.selection),
            })
            .collect(),
        discount_total: t.discount_total,
        service_charge: t.service_charge,
        delivery_fee: t.delivery_fee,
        net_of_vat: t.net_of_vat,
        vat_rate_bp: t.vat_rate_bp,
        vat: t.vat,
        invoice_total,
        tip: order.tip,
        total: order.total,
        paid: order.paid - order.refunded,
        change_given: order.payments.iter().filter_map(|p| p.change_given).sum(),
        qr_payload,
        seller_name: s.name,
        seller_name_ar: s.name_ar,
        vat_number: s.vat_number,
        branch_name: s.branch_name,
        branch_name_ar: s.branch_name_ar,
        address: s.address,
        address_ar: s.address_ar,
    })
}

fn details(selection: &serde_json::Value) -> Vec<String> {
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["name"].as_str().map(String::from))
            .collect()
    };
    let mut out = names(&selection["options"]);
    for slot in selection["slots"].as_array().into_iter().flatten() {
        if let Some(item) = slot["itemName"].as_str() {
            out.push(item.to_string());
        }
        out.extend(names(&slot["options"]));
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An amount with the currency's decimals: 12.50 SAR, 1.250 BHD.
fn money(amount: i64, minor_units: i16) -> String {
    format_minor_units(amount, u8::try_from(minor_units).unwrap_or(2))
}

/// The receipt as a self-contained HTML page sized for an 80 mm printer: English on the left,
/// Arabic on the right (right-to-left), amounts in the middle column.
pub fn html(r: &Receipt) -> Result<String> {
    let mut rows = String::new();
    for l in &r.lines {
        let details = if l.details.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"details\">{}</div>",
                esc(&l.details.join(", "))
            )
        };
        rows.push_str(&format!(
            "<tr><td>{qty} × {name}{details}</td><td class=\"num\">{amount}</td>\
             <td class=\"ar\" dir=\"rtl\">{name_ar}</td></tr>",
            qty = l.quantity,
            name = esc(&l.name),
            amount = money(l.amount, r.minor_units),
            name_ar = esc(l.name_ar.as_deref().unwrap_or("")),
        ));
    }
    let mut sums = vec![];
    let mut sum = |en: &str, ar: &str, amount: i64, always: bool| {
        if always || amount != 0 {
            sums.push(format!(
                "<tr><td>{en}</td><td class=\"num\">{}</td><td class=\"ar\" dir=\"rtl\">{ar}</td></tr>",
                money(amount, r.minor_units)
            ));
        }
    };
    sum("Discount", "الخصم", -r.discount_total, false);
    sum("Service charge", "رسوم الخدمة", r.service_charge, false);
    sum("Delivery", "التوصيل", r.delivery_fee, false);
    // No VAT (a country without it): no VAT lines, and the total is just the total.
    let taxed = r.vat_rate_bp > 0;
    if taxed {
        sum(
            "Total excl. VAT",
            "الإجمالي غير شامل الضريبة",
            r.net_of_vat,
            true,
        );
        let rate = format!(
            "{}%",
            format_minor_units(i64::from(r.vat_rate_bp), 2).trim_end_matches(".00")
        );
        sum(
            &format!("VAT {rate}"),
            &format!("ضريبة القيمة المضافة {rate}"),
            r.vat,
            true,
        );
        sum(
            "Total incl. VAT",
            "الإجمالي شامل الضريبة",
            r.invoice_total,
            true,
        );
    } else {
        sum("Total", "الإجمالي", r.invoice_total, true);
    }
    sum("Tip", "إكرامية", r.tip, false);
    sum("Paid", "المدفوع", r.paid, true);
    sum("Change", "الباقي", r.change_given, false);
    let qr = match &r.qr_payload {
        Some(p) => zatca::qr_svg(p).map_err(anyhow::Error::from)?,
        None => String::new(),
    };
    let vat_number = r
        .vat_number
        .as_deref()
        .map(|v| format!("<p>VAT No. {0} · الرقم الضريبي {0}</p>", esc(v)))
        .unwrap_or_default();
    Ok(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Receipt #{number}</title>
<style>
  @page {{ size: 80mm auto; margin: 3mm; }}
  body {{ width: 74mm; margin: 0 auto; font: 11px/1.35 system-ui, "Noto Sans Arabic", sans-serif; color: #000; }}
  h1 {{ font-size: 14px; text-align: center; margin: 0 0 2px; }}
  p {{ text-align: center; margin: 1px 0; }}
  table {{ width: 100%; border-collapse: collapse; margin-top: 6px; }}
  td {{ vertical-align: top; padding: 1px 0; }}
  td.num {{ text-align: center; white-space: nowrap; padding: 1px 4px; }}
  td.ar {{ text-align: right; }}
  .details {{ font-size: 10px; color: #333; }}
  .sums {{ border-top: 1px dashed #000; }}
  .qr {{ width: 34mm; margin: 6px auto 0; }}
  .qr svg {{ width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{seller} · <span dir="rtl">{seller_ar}</span></h1>
<p>{branch} · <span dir="rtl">{branch_ar}</span></p>
<p>{address}</p>
{vat_number}
<p>{title}</p>
<p>#{number} · {issued} · {currency}</p>
<table>{rows}</table>
<table class="sums">{sums}</table>
<div class="qr">{qr}</div>
</body>
</html>
"#,
        number = r.number,
        seller = esc(&r.seller_name),
        seller_ar = esc(r.seller_name_ar.as_deref().unwrap_or("")),
        branch = esc(&r.branch_name),
        branch_ar = esc(r.branch_name_ar.as_deref().unwrap_or("")),
        address = esc(r.address.as_deref().unwrap_or("")),
        issued = esc(&r.issued_local),
        currency = esc(&r.currency),
        title = if taxed {
            "Simplified tax invoice · <span dir=\"rtl\">فاتورة ضريبية مبسطة</span>"
        } else {
            "Receipt · <span dir=\"rtl\">إيصال</span>"
        },
        sums = sums.join(""),
    ))
}
