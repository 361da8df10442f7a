//! A zone's shape as sent: a GeoJSON Polygon (RFC 7946: positions are `[longitude, latitude]`,
//! rings closed) turned into PostgreSQL's `polygon` text, x = longitude, y = latitude.

use platform::error::{Error, Result};
use serde_json::Value;

/// The most vertices a zone may have: a hand-drawn city zone needs a few dozen.
pub const MAX_VERTICES: usize = 500;

/// Checks a GeoJSON Polygon and gives its outer ring as a PostgreSQL polygon literal. Holes
/// are refused rather than ignored: a zone with a hole would deliver into it otherwise.
pub fn polygon(v: &Value) -> Result<String> {
    let bad = |m: &str| Error::invalid("area", m.to_string());
    if v.get("type").and_then(Value::as_str) != Some("Polygon") {
        return Err(bad("must be a GeoJSON object of type Polygon"));
    }
    let rings = v
        .get("coordinates")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("coordinates must be a list of rings"))?;
    let [ring] = rings.as_slice() else {
        return Err(bad(
            "exactly one ring (the outline); holes are not supported",
        ));
    };
    let ring = ring
        .as_array()
        .ok_or_else(|| bad("a ring is a list of [longitude, latitude] positions"))?;
    let mut points = Vec::with_capacity(ring.len());
    for p in ring {
        let (lng, lat) = match p.as_array().map(Vec::as_slice) {
            Some([lng, lat, ..]) => (lng.as_f64(), lat.as_f64()),
            _ => (None, None),
        };
        match (lng, lat) {
            (Some(lng), Some(lat))
                if (-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat) =>
            {
                points.push((lng, lat));
            }
            _ => return Err(bad("each position is [longitude, latitude] within range")),
        }
    }
    if points.len() < 4 || points.first() != points.last() {
        return Err(bad(
            "a ring has at least four positions and ends where it starts",
        ));
    }
    if points.len() > MAX_VERTICES + 1 {
        return Err(bad(&format!("at most {MAX_VERTICES} vertices")));
    }
    points.pop();
    Ok(format!(
        "({})",
        points
            .iter()
            .map(|(x, y)| format!("({x},{y})"))
            .collect::<Vec<_>>()
            .join(",")
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::polygon;

    #[test]
    fn a_closed_ring_becomes_a_polygon_literal() {
        let area = json!({ "type": "Polygon",
            "coordinates": [[[46.6, 24.6], [46.7, 24.6], [46.7, 24.7], [46.6, 24.6]]] });
        assert_eq!(
            polygon(&area).unwrap(),
            "((46.6,24.6),(46.7,24.6),(46.7,24.7))"
        );
    }

    #[test]
    fn open_rings_holes_and_wild_positions_are_refused() {
        for area in [
            json!({ "type": "Point", "coordinates": [46.6, 24.6] }),
            json!({ "type": "Polygon", "coordinates": [[[46.6, 24.6], [46.7, 24.6], [46.7, 24.7], [46.6, 24.7]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]], [[0, 0], [1, 0], [1, 1], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], ["1", 0], [1, 1], [0, 0]]] }),
        ] {
            assert!(polygon(&area).is_err(), "{area}");
        }
    }
}
