//! XML answers (S3, Azure) read with quick-xml into a small element tree;
//! the few request bodies the drivers send are tiny and written by hand
//! with [`escape`]. Behind the `xml` feature.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its local name, its text, and its children in order.
#[derive(Debug, Default, Clone)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Parse a document into its root element.
pub fn parse(xml: &[u8]) -> Result<Element, String> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => stack.push(Element {
                name: String::from(e.local_name().as_ref()),
                ..Default::default()
            }),
            Ok(Event::Empty(e)) => {
                let el = Element {
                    name: String::from(e.local_name().as_ref()),
                    ..Default::default()
                };
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => return Ok(el),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    let s: &str = t.as_ref();
                    top.text.push_str(&unescape(s)?);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(top) = stack.last_mut() {
                    let name: &str = r.as_ref();
                    top.text.push_str(&unescape(&format!("&{name};"))?);
                }
            }
            Ok(Event::CData(c)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(c.as_ref());
                }
            }
            Ok(Event::End(_)) => {
                let el = stack.pop().ok_or("unbalanced XML")?;
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => return Ok(el),
                }
            }
            Ok(Event::Eof) => return Err("XML document ended early".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("bad XML: {e}")),
        }
        buf.clear();
    }
}

fn unescape(s: &str) -> Result<String, String> {
    quick_xml::escape::unescape(s)
        .map(|c| c.into_owned())
        .map_err(|e| format!("bad XML escape: {e}"))
}

/// Text escaped for an XML element.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_listing() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><IsTruncated>false</IsTruncated>
  <Contents><Key>a &amp; b</Key><Size>3</Size><ETag>&quot;x&quot;</ETag></Contents>
  <CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>
  <Empty/><Data><![CDATA[<raw>]]></Data>
</ListBucketResult>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "ListBucketResult");
        let c = root.child("Contents").unwrap();
        assert_eq!(c.text_of("Key"), Some("a & b"));
        assert_eq!(c.text_of("ETag"), Some("\"x\""));
        assert_eq!(root.all("CommonPrefixes").count(), 1);
        assert_eq!(root.text_of("Data"), Some("<raw>"));
        assert_eq!(escape("a<b&c"), "a&lt;b&amp;c");
        assert!(parse(b"<a><b></a>").is_err());
    }
}
