//! Human-readable numbers shared by the text outputs.

/// `2^20` for a power of two of at least 2^4, the plain number otherwise.
pub fn size(n: usize) -> String {
    if n.is_power_of_two() && n >= 16 {
        format!("2^{}", n.trailing_zeros())
    } else {
        n.to_string()
    }
}

/// Seconds in the unit that keeps three significant digits readable: `812 µs`, `12.3 ms`, `1.52 s`.
pub fn seconds(s: f64) -> String {
    let (value, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    format!("{} {unit}", three_digits(value))
}

/// A rate with an SI prefix: `1.23 M leaf/s`.
pub fn rate(per_second: f64, unit: &str) -> String {
    let (value, prefix) = if per_second >= 1e9 {
        (per_second / 1e9, "G ")
    } else if per_second >= 1e6 {
        (per_second / 1e6, "M ")
    } else if per_second >= 1e3 {
        (per_second / 1e3, "k ")
    } else {
        (per_second, "")
    };
    format!("{} {prefix}{unit}", three_digits(value))
}

/// A ratio with two decimals and a times sign: `1.52×`.
pub fn ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// Bytes in binary units with three significant digits: `812 KiB`, `1.52 GiB`; `not measured`
/// for `None`.
pub fn bytes(b: Option<u64>) -> String {
    let Some(b) = b else {
        return "not measured".to_owned();
    };
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = b as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else {
        format!("{} {}", three_digits(value), units[unit])
    }
}

/// A target, or a dash without one.
pub fn target(t: Option<f64>) -> String {
    t.map_or_else(|| "—".to_owned(), ratio)
}

fn three_digits(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(size(1 << 20), "2^20");
        assert_eq!(size(1024), "2^10");
        assert_eq!(size(1000), "1000");
        assert_eq!(seconds(0.0123), "12.3 ms");
        assert_eq!(seconds(1.5), "1.50 s");
        assert_eq!(seconds(0.000_812), "812 µs");
        assert_eq!(rate(1_230_000.0, "leaf/s"), "1.23 M leaf/s");
        assert_eq!(ratio(1.516), "1.52×");
        assert_eq!(target(None), "—");
        assert_eq!(bytes(None), "not measured");
        assert_eq!(bytes(Some(512)), "512 B");
        assert_eq!(bytes(Some(812 << 10)), "812 KiB");
        assert_eq!(bytes(Some(3 << 29)), "1.50 GiB");
    }
}
