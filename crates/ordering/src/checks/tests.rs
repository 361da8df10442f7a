use super::model::MAX_SHARES;
use super::*;

#[test]
fn equal_shares_put_the_odd_halalas_on_the_first_shares() {
    assert_eq!(equal_shares(10_000, 3), vec![3334, 3333, 3333]);
    assert_eq!(equal_shares(10_001, 3), vec![3334, 3334, 3333]);
    assert_eq!(equal_shares(1, 4), vec![1, 0, 0, 0]);
    for total in [0, 1, 99, 4547, 1_000_000_007] {
        for parts in 2..=MAX_SHARES {
            let s = equal_shares(total, parts);
            assert_eq!(s.iter().sum::<i64>(), total);
            assert!(s.iter().max().unwrap() - s.iter().min().unwrap() <= 1);
        }
    }
}

#[test]
fn payments_fill_the_shares_in_order() {
    let s = fill_shares(&[3334, 3333, 3333], 5000);
    assert_eq!(
        s.iter().map(|s| (s.paid, s.due)).collect::<Vec<_>>(),
        vec![(3334, 0), (1666, 1667), (0, 3333)]
    );
}
