//! The first books, in the page itself: for `/` and `/books` the server fills the region of
//! `index.html` between `<!--prerender-->` and `<!--/prerender-->` with the catalogue's first
//! page as plain HTML (the app's own markup: cards, titles, authors, prices, links), so that a
//! slow phone shows the books while the app (hundreds of KB of WASM) still downloads; the app
//! replaces it when it starts. Rendered from the same query as `GET /api/v1/books` and kept a
//! few seconds, so that a burst of visitors costs one query.
use bookstore_domain::catalogue::Catalogue;
use bookstore_domain::mail::templates::escape;
use bookstore_model::{Book, BookQuery, BookSort, display};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const START: &str = "<!--prerender-->";
pub const END: &str = "<!--/prerender-->";

/// How long a rendered list is served before the catalogue is asked again.
const FRESH: Duration = Duration::from_secs(5);
/// As many books as the app's first page shows.
const CATALOGUE_PAGE: u32 = 20;
const HOME_BOOKS: u32 = 6;

/// The pages that get books: the catalogue (unfiltered: a search is the app's to run) and the
/// home page's new arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    Home,
    Catalogue,
}

impl Page {
    /// The page for a request path (without its leading `/`) and query string.
    pub fn of(path: &str, query: &str) -> Option<Self> {
        if !query.is_empty() {
            return None;
        }
        match path.trim_end_matches('/') {
            "" => Some(Self::Home),
            "books" => Some(Self::Catalogue),
            _ => None,
        }
    }
}

/// `index.html` cut around its prerender region.
pub struct Template {
    before: String,
    after: String,
}

impl Template {
    /// `None` for a page without the markers (an older build): it is then served as it is.
    pub fn parse(html: &str) -> Option<Self> {
        let start = html.find(START)?;
        let end = html[start..].find(END)? + start + END.len();
        Some(Self {
            before: html[..start].to_owned(),
            after: html[end..].to_owned(),
        })
    }

    pub fn fill(&self, region: &str) -> String {
        format!("{}{region}{}", self.before, self.after)
    }
}

/// Rendered regions, each with when it was rendered.
#[derive(Default)]
pub struct Cache {
    rendered: Mutex<HashMap<Page, (Instant, Arc<str>)>>,
}

impl Cache {
    /// The region for `page`: fresh from the cache, else rendered from the catalogue (an error
    /// is logged and answers `None`: the page is then served without books).
    pub async fn region(&self, page: Page, catalogue: &Catalogue) -> Option<Arc<str>> {
        if let Ok(map) = self.rendered.lock()
            && let Some((at, html)) = map.get(&page)
            && at.elapsed() < FRESH
        {
            return Some(html.clone());
        }
        let query = match page {
            Page::Home => BookQuery {
                sort: Some(BookSort::Newest),
                limit: Some(HOME_BOOKS),
                ..Default::default()
            },
            Page::Catalogue => BookQuery {
                sort: Some(BookSort::Title),
                limit: Some(CATALOGUE_PAGE),
                ..Default::default()
            },
        };
        let books: Vec<Book> = match catalogue.list(&query).await {
            Ok(list) => list
                .items
                .iter()
                .filter_map(|b| serde_json::from_str(b.json.get()).ok())
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "no books for the prerendered page");
                return None;
            }
        };
        let html: Arc<str> = render(page, &books).into();
        if let Ok(mut map) = self.rendered.lock() {
            map.insert(page, (Instant::now(), html.clone()));
        }
        Some(html)
    }
}

/// The region's HTML: the page's heading and its books as the app's cards (without the cart
/// buttons, which need the app).
pub fn render(page: Page, books: &[Book]) -> String {
    let mut out = String::with_capacity(512 + books.len() * 400);
    let list_label = match page {
        Page::Home => {
            out.push_str(
                "<section class=\"page home\"><div class=\"hero\"><h1>Find your next book</h1>\
                 <form class=\"search\" role=\"search\" action=\"/books\" method=\"get\">\
                 <label for=\"boot-q\" class=\"sr-only\">Search by title, author or ISBN</label>\
                 <input id=\"boot-q\" name=\"q\" type=\"search\" placeholder=\"Title, author or ISBN\">\
                 <button class=\"btn primary\" type=\"submit\">Search</button></form></div>\
                 <h2>New arrivals</h2>",
            );
            "New arrivals"
        }
        Page::Catalogue => {
            out.push_str("<section class=\"page catalogue\"><h1>Catalogue</h1>");
            "Catalogue"
        }
    };
    if books.is_empty() {
        out.push_str("<p class=\"muted\">No books yet.</p>");
    } else {
        let _ = write!(
            out,
            "<ul class=\"grid\" id=\"prerendered\" aria-label=\"{list_label}\">"
        );
        for b in books {
            card(&mut out, b);
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}

fn card(out: &mut String, b: &Book) {
    let title = b.title.to_string();
    let authors = b
        .authors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    // The app's cover (`Cover`) and figures, from the same functions.
    let hue = display::cover_hue(&b.id);
    let initials = display::cover_initials(&title);
    let _ = write!(
        out,
        "<li class=\"card\" data-book-id=\"{id}\"><a class=\"card-link\" href=\"/books/{id}\">\
         <div class=\"cover\" style=\"--hue:{hue}\" aria-hidden=\"true\"><span>{initials}</span></div>\
         <span class=\"card-title\">{title}</span></a>\
         <span class=\"card-authors\">{authors}</span>\
         <span class=\"card-meta\"><span class=\"price\">{price}</span>\
         <span class=\"availability{low}\">{stock}</span></span></li>",
        id = b.id,
        initials = escape(&initials),
        title = escape(&title),
        authors = escape(&authors),
        price = escape(&display::money(b.price_cents.get(), b.currency.as_str())),
        low = match b.stock {
            i64::MIN..=0 => " out",
            1..=3 => " low",
            _ => "",
        },
        stock = display::availability(b.stock),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_plain_home_and_catalogue_are_prerendered() {
        assert_eq!(Page::of("", ""), Some(Page::Home));
        assert_eq!(Page::of("books", ""), Some(Page::Catalogue));
        assert_eq!(Page::of("books/", ""), Some(Page::Catalogue));
        assert_eq!(Page::of("books", "q=moby"), None);
        assert_eq!(Page::of("books/123", ""), None);
        assert_eq!(Page::of("cart", ""), None);
    }

    #[test]
    fn the_template_is_cut_around_its_region() {
        let t = Template::parse("<main><!--prerender--><p>Loading</p><!--/prerender--></main>")
            .unwrap();
        assert_eq!(t.fill("<ul></ul>"), "<main><ul></ul></main>");
        assert!(Template::parse("<main>Loading</main>").is_none());
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<script>\"Tom & Jerry's\"</script>"),
            "&lt;script&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/script&gt;"
        );
        assert_eq!(display::money(1250, "USD"), "$12.50");
        assert_eq!(display::money(199, "CHF"), "1.99 CHF");
        assert_eq!(display::availability(3), "3 left");
    }
}
