//! The app's bundles and which serves which page. A shopper's first page is most often the
//! catalogue, so the smallest bundle has only the browsing pages; the shopper's own pages
//! (signing in, checkout, account, orders) and the admin screens come in larger ones. The server
//! sends, for an address, the page of the bundle that has it; a bundle asked for a page it lacks
//! loads that address from the server. The server reads the list here; the app's router
//! (`frontend/src/lib.rs`) routes the same pages to its `shopper` module, and a test below holds
//! the two to each other (a shopper page missing here would be sent the shop's bundle, which
//! cannot show it).

/// A build of the app, each with every page of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bundle {
    /// Browsing: home, catalogue, a book, the cart.
    Shop,
    /// The shopper's own pages too.
    Shopper,
    /// The admin screens too.
    Admin,
}

/// The first path segments of the shopper's own pages.
pub const SHOPPER_PAGES: &[&str] = &[
    "account",
    "checkout",
    "confirm-email",
    "login",
    "orders",
    "register",
    "reset-password",
    "staff-invitation",
];

impl Bundle {
    /// The least bundle with the page at `path` (with or without its leading `/`); `Shop` for
    /// an address no bundle has (its "not found" page).
    pub fn of(path: &str) -> Self {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if first == "admin" {
            Self::Admin
        } else if SHOPPER_PAGES.contains(&first) {
            Self::Shopper
        } else {
            Self::Shop
        }
    }

    /// The HTML page that loads this bundle.
    pub fn page(self) -> &'static str {
        match self {
            Self::Shop => "index.html",
            Self::Shopper => "shopper.html",
            Self::Admin => "admin.html",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_least_bundle() {
        assert_eq!(Bundle::of("/"), Bundle::Shop);
        assert_eq!(Bundle::of("/books/123"), Bundle::Shop);
        assert_eq!(Bundle::of("cart"), Bundle::Shop);
        assert_eq!(Bundle::of("/orders/ab-12"), Bundle::Shopper);
        assert_eq!(Bundle::of("/checkout"), Bundle::Shopper);
        assert_eq!(Bundle::of("/admin"), Bundle::Admin);
        assert_eq!(Bundle::of("/admin/orders/1"), Bundle::Admin);
        // Only whole segments count.
        assert_eq!(Bundle::of("/accounting"), Bundle::Shop);
        assert_eq!(Bundle::of("/administrator"), Bundle::Shop);
        assert!(Bundle::Shop < Bundle::Shopper && Bundle::Shopper < Bundle::Admin);
    }

    /// Every route of the app's router whose view comes from its `shopper` module is a page
    /// of the shopper's bundle here, every other route is not, and every listed page has a
    /// route.
    #[test]
    fn the_apps_router_routes_the_same_shopper_pages() {
        let router = include_str!("../../../frontend/src/lib.rs");
        let mut shopper_segments = Vec::new();
        let mut routes = 0;
        for line in router.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("<Route path=path!(\"") else {
                continue;
            };
            let Some((path, view)) = rest.split_once("\")") else {
                panic!("unparsed route: {line}");
            };
            // Admin routes are nested under `/admin`, written without it.
            if !path.starts_with('/') {
                continue;
            }
            routes += 1;
            let from_shopper = view.contains("view=shopper::");
            let expected = if from_shopper {
                Bundle::Shopper
            } else {
                Bundle::Shop
            };
            assert_eq!(Bundle::of(path), expected, "route {path} ({view})");
            if from_shopper {
                shopper_segments.push(path.trim_start_matches('/').split('/').next().unwrap());
            }
        }
        assert!(
            routes >= 10,
            "found {routes} routes: has the router's syntax changed?"
        );
        for page in SHOPPER_PAGES {
            assert!(
                shopper_segments.contains(page),
                "{page} is listed but the router has no shopper route for it"
            );
        }
    }
}
