//! The search scenario's data: the queries, the words items are named with, and the SQL that
//! writes 100 000 of them as the owner.

use uuid::Uuid;

use super::CatalogConfig;

/// The query classes of the search scenario: (class, query, `lang`).
pub const QUERIES: [(&str, &str, &str); 6] = [
    ("english", "chicken burger", "en"),
    ("english", "shawarma", "en"),
    ("prefix", "burg", "en"),
    ("typo", "chiken burgr", "en"),
    ("arabic", "شاورما دجاج", "ar"),
    ("mixed", "chicken شاورما", "en"),
];

/// The classes of [`QUERIES`], in order of first appearance.
pub fn classes() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (class, _, _) in QUERIES {
        if !out.iter().any(|c| c == class) {
            out.push(class.to_string());
        }
    }
    out
}

/// Slug prefix of the generated brands.
pub(super) const SLUG_PREFIX: &str = "bench-";

/// Dishes: (name, Arabic name, category, Arabic category). Each is a category of every brand.
const DISHES: [(&str, &str, &str, &str); 10] = [
    ("Burger", "برجر", "Burgers", "البرجر"),
    ("Shawarma", "شاورما", "Shawarma", "الشاورما"),
    ("Wrap", "راب", "Wraps", "الراب"),
    ("Salad", "سلطة", "Salads", "السلطات"),
    ("Pizza", "بيتزا", "Pizza", "البيتزا"),
    ("Sandwich", "ساندويتش", "Sandwiches", "الساندويتشات"),
    ("Platter", "صحن", "Platters", "الأطباق"),
    ("Kabsa", "كبسة", "Kabsa", "الكبسة"),
    ("Fries", "بطاطس", "Loaded Fries", "البطاطس"),
    ("Bowl", "وعاء", "Bowls", "الأوعية"),
];
const PROTEINS: [(&str, &str); 10] = [
    ("Chicken", "دجاج"),
    ("Beef", "لحم بقري"),
    ("Lamb", "لحم غنم"),
    ("Falafel", "فلافل"),
    ("Fish", "سمك"),
    ("Shrimp", "روبيان"),
    ("Halloumi", "حلومي"),
    ("Mushroom", "فطر"),
    ("Veggie", "خضار"),
    ("Turkey", "ديك رومي"),
];
const STYLES: [(&str, &str); 5] = [
    ("Classic", "كلاسيك"),
    ("Spicy", "حار"),
    ("Crispy", "مقرمش"),
    ("Grilled", "مشوي"),
    ("Double", "دبل"),
];
const SIDES: [(&str, &str); 5] = [
    ("crispy fries", "بطاطس مقرمشة"),
    ("saffron rice", "أرز بالزعفران"),
    ("pickles", "مخلل"),
    ("hummus", "حمص"),
    ("coleslaw", "سلطة ملفوف"),
];
const SAUCES: [(&str, &str); 4] = [
    ("garlic sauce", "صوص الثوم"),
    ("tahini", "طحينة"),
    ("spicy mayo", "مايونيز حار"),
    ("smoky ketchup", "كاتشب مدخن"),
];
const DRINKS: [(&str, &str); 3] = [
    ("fresh orange juice", "عصير برتقال طازج"),
    ("lemon mint juice", "عصير ليمون بالنعناع"),
    ("cold laban", "لبن بارد"),
];

/// Distinct item names a brand gets before they repeat with a number: style × protein × dish.
pub const DISTINCT_NAMES: u32 = (STYLES.len() * PROTEINS.len() * DISHES.len()) as u32;

/// A SQL `text[]` literal.
pub fn text_array<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = words
        .into_iter()
        .map(|w| format!("'{}'", w.replace('\'', "''")))
        .collect();
    format!("array[{}]::text[]", quoted.join(", "))
}

/// The statements that write the data set, in order, for the owner (who bypasses RLS) in one
/// transaction: brands `bench-00001…`, `branches_per_tenant` open branches each, one all-day
/// menu, a category per dish and `items_per_tenant` items spread over them. Item `n` of a
/// brand is style `n / 100 % 5` × protein `n / 10 % 10` × dish `n % 10` ("Crispy Chicken
/// Burger" / "برجر دجاج مقرمش"), with an English and an Arabic description naming a side,
/// a sauce and a drink.
pub fn generation_sql(cfg: &CatalogConfig) -> Vec<String> {
    let bench = format!("t.slug like '{SLUG_PREFIX}%'");
    let (nd, np, ns) = (DISHES.len(), PROTEINS.len(), STYLES.len());
    let words = format!(
        "select {} as dish, {} as dish_ar, {} as protein, {} as protein_ar, {} as style, \
         {} as style_ar, {} as side, {} as side_ar, {} as sauce, {} as sauce_ar, {} as drink, \
         {} as drink_ar",
        text_array(DISHES.iter().map(|d| d.0)),
        text_array(DISHES.iter().map(|d| d.1)),
        text_array(PROTEINS.iter().map(|p| p.0)),
        text_array(PROTEINS.iter().map(|p| p.1)),
        text_array(STYLES.iter().map(|s| s.0)),
        text_array(STYLES.iter().map(|s| s.1)),
        text_array(SIDES.iter().map(|s| s.0)),
        text_array(SIDES.iter().map(|s| s.1)),
        text_array(SAUCES.iter().map(|s| s.0)),
        text_array(SAUCES.iter().map(|s| s.1)),
        text_array(DRINKS.iter().map(|d| d.0)),
        text_array(DRINKS.iter().map(|d| d.1)),
    );
    let (nsides, nsauces, ndrinks) = (SIDES.len(), SAUCES.len(), DRINKS.len());
    vec![
        format!(
            "insert into tenants (id, slug, name, name_ar, currency, default_locale) \
             select gen_random_uuid(), '{SLUG_PREFIX}' || lpad(n::text, 5, '0'), \
                    'Bench Kitchen ' || n, 'مطبخ ' || n, 'SAR', 'en' \
             from generate_series(1, {}) n",
            cfg.tenants
        ),
        format!(
            "insert into branches (id, tenant_id, name, name_ar, time_zone, status) \
             select gen_random_uuid(), t.id, 'Branch ' || n, 'فرع ' || n, 'Asia/Riyadh', 'open' \
             from tenants t cross join generate_series(1, {}) n where {bench}",
            cfg.branches_per_tenant
        ),
        format!(
            "insert into menus (id, tenant_id, name, name_ar) \
             select gen_random_uuid(), t.id, 'All day', 'طوال اليوم' from tenants t where {bench}"
        ),
        format!(
            "insert into categories (id, tenant_id, menu_id, name, name_ar, position) \
             select gen_random_uuid(), m.tenant_id, m.id, d.name, d.name_ar, d.pos - 1 \
             from menus m join tenants t on t.id = m.tenant_id and {bench} \
             cross join unnest({}, {}) with ordinality as d(name, name_ar, pos)",
            text_array(DISHES.iter().map(|d| d.2)),
            text_array(DISHES.iter().map(|d| d.3)),
        ),
        format!(
            "insert into items (id, tenant_id, category_id, sku, name, name_ar, description, \
                                description_ar, price, calories, position) \
             select gen_random_uuid(), c.tenant_id, c.id, 'BX-' || lpad(g.n::text, 6, '0'), \
                    w.style[g.s] || ' ' || w.protein[g.p] || ' ' || w.dish[g.d] || g.suffix, \
                    w.dish_ar[g.d] || ' ' || w.protein_ar[g.p] || ' ' || w.style_ar[g.s] \
                        || g.suffix, \
                    w.style[g.s] || ' ' || lower(w.protein[g.p]) || ' ' || lower(w.dish[g.d]) \
                        || ' with ' || w.side[g.n / 3 % {nsides} + 1] || ', ' \
                        || w.sauce[g.n / 7 % {nsauces} + 1] \
                        || ' and fresh herbs; served with ' || w.drink[g.n % {ndrinks} + 1] \
                        || '.', \
                    w.dish_ar[g.d] || ' ' || w.protein_ar[g.p] || ' ' || w.style_ar[g.s] \
                        || ' مع ' || w.side_ar[g.n / 3 % {nsides} + 1] || ' و' \
                        || w.sauce_ar[g.n / 7 % {nsauces} + 1] \
                        || ' وأعشاب طازجة، يقدم مع ' || w.drink_ar[g.n % {ndrinks} + 1], \
                    1500 + g.n * 37 % 4500, 250 + g.n * 53 % 900, g.n \
             from (select n, n % {nd} + 1 as d, n / {nd} % {np} + 1 as p, \
                          n / {dp} % {ns} + 1 as s, \
                          case when n >= {all} then ' ' || (n / {all} + 1) else '' end \
                              as suffix \
                   from generate_series(0, {last}) n) g \
             cross join ({words}) w \
             join categories c on c.position = g.d - 1 \
             join tenants t on t.id = c.tenant_id and {bench}",
            dp = nd * np,
            all = DISTINCT_NAMES,
            last = i64::from(cfg.items_per_tenant) - 1,
        ),
    ]
}

/// The order search requests go in: `rounds` passes over the branches, branch `b` of pass `r`
/// asking query `(b + r) % queries`, so every branch is asked every query once per `queries`
/// passes and neighbouring requests ask different things. (branch index, query index).
pub fn rotation(branches: usize, queries: usize) -> Vec<(usize, usize)> {
    (0..queries)
        .flat_map(|round| (0..branches).map(move |b| (b, (b + round) % queries)))
        .collect()
}

/// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters).
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn search_path(branch: Uuid, q: &str, lang: &str) -> String {
    format!(
        "/api/branches/{branch}/menu/search?q={}&lang={lang}",
        encode_query(q)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_scenarios::TEST_CONFIG as CFG;

    #[test]
    fn arrays_are_quoted() {
        assert_eq!(text_array(["a", "b'c"]), "array['a', 'b''c']::text[]");
        assert_eq!(text_array(["شاورما"]), "array['شاورما']::text[]");
    }

    #[test]
    fn generation_writes_what_the_config_says() {
        let sql = generation_sql(&CFG);
        assert_eq!(sql.len(), 5);
        let tables: Vec<&str> = sql
            .iter()
            .map(|s| s.split_whitespace().nth(2).unwrap())
            .collect();
        assert_eq!(
            tables,
            ["tenants", "branches", "menus", "categories", "items"]
        );
        assert!(sql[0].contains("generate_series(1, 200)"), "{}", sql[0]);
        assert!(sql[1].contains("generate_series(1, 5)"), "{}", sql[1]);
        assert!(sql[4].contains("generate_series(0, 499)"), "{}", sql[4]);
        // Every statement but the first only touches the generated brands.
        for s in &sql[1..] {
            assert!(s.contains("t.slug like 'bench-%'"), "{s}");
        }
        // The default 500 items per brand all have distinct names.
        assert_eq!(DISTINCT_NAMES, 500);
        // The search queries' words are in the data.
        for word in ["Chicken", "Burger", "Shawarma", "شاورما", "دجاج", "juice"] {
            assert!(sql[4].contains(word), "{word}");
        }
    }

    #[test]
    fn rotation_asks_every_branch_every_query_once() {
        let r = rotation(1000, 6);
        assert_eq!(r.len(), 6000);
        let mut seen = std::collections::HashSet::new();
        for pair in &r {
            assert!(seen.insert(*pair), "{pair:?} twice");
        }
        // Neighbours differ in branch, and in query within a pass.
        assert!(r.windows(2).all(|w| w[0].0 != w[1].0));
        assert_eq!(&r[..3], &[(0, 0), (1, 1), (2, 2)]);
        assert_eq!(rotation(1, 3), [(0, 0), (0, 1), (0, 2)]);
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(encode_query("chicken burger"), "chicken%20burger");
        assert_eq!(encode_query("a&b=c"), "a%26b%3Dc");
        assert_eq!(encode_query("شا"), "%D8%B4%D8%A7");
        let id = Uuid::nil();
        assert_eq!(
            search_path(id, "burg", "en"),
            format!("/api/branches/{id}/menu/search?q=burg&lang=en")
        );
    }

    #[test]
    fn classes_keep_their_first_order() {
        assert_eq!(
            classes(),
            ["english", "prefix", "typo", "arabic", "mixed"].map(String::from)
        );
    }
}
