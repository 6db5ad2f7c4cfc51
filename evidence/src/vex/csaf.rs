//! CSAF 2.0 VEX documents (`document.category` `csaf_vex`, the profile Red
//! Hat and SUSE publish one file per CVE in), read into the same
//! [`Statement`]s as OpenVEX: [`Csaf`].
//!
//! The mapping follows CSAF 2.0 (OASIS Standard, 18 November 2022) §3.2.3
//! and §4.5, and the CISA "Minimum Requirements for VEX" correspondence:
//!
//! | CSAF `product_status` | OpenVEX `status` |
//! |---|---|
//! | `known_not_affected` | `not_affected` |
//! | `fixed`, `first_fixed` | `fixed` |
//! | `known_affected`, `first_affected`, `last_affected` | `affected` |
//! | `under_investigation` | `under_investigation` |
//! | `recommended` | none: a recommended version is no statement |
//!
//! - the justification of a `not_affected` product is the label of the
//!   first `flags[]` entry naming it (CSAF's five flag labels are OpenVEX's
//!   five justifications, spelt alike); its impact statement the `details`
//!   of the `threats[]` of category `impact` naming it;
//! - the action statement of an `affected` product joins the
//!   `remediations[]` naming it (`vendor_fix`, `workaround`, `mitigation`,
//!   `none_available`, `no_fix_planned`: `<category>: <details> <url>`);
//! - `threats[]` of category `exploit_status` become the status notes;
//! - flags, threats and remediations name products by `product_ids` or by
//!   `group_ids` (resolved through `product_tree.product_groups`);
//! - the vulnerability is `cve`, else the first `ids[].text`; the `ids[]`
//!   texts are its aliases;
//! - every statement has the document's `tracking.current_release_date`:
//!   a CSAF document is revised as a whole.
//!
//! **Products.** A product id is resolved through `product_tree`: the
//! products of its `branches` (recursively, at most [`MAX_BRANCH_DEPTH`]
//! deep), its `full_product_names`, and its `relationships`
//! (`default_component_of`, `installed_on`, `installed_with`,
//! `optional_component_of`, `external_component_of`), whose own
//! `full_product_name.product_id` names the component
//! (`product_reference`) as part of the platform
//! (`relates_to_product_reference`). A product is identified by the purl,
//! else the CPE, of its `product_identification_helper`. A relationship's
//! product becomes an OpenVEX product with the platform's identifier as its
//! id and the component's as its one subcomponent (OpenVEX's "the
//! vulnerability is in this subcomponent of this product"); when the
//! platform has no identifier, the component alone is the product. A
//! product with no purl or CPE is kept as `csaf:product_id:<id>`, which is
//! no purl, so it never answers for a package: it is only shown.
//!
//! **`known_not_affected` without a reason.** CSAF 2.0 §6.1.27.9
//! (mandatory test "Impact Statement", csaf_vex profile) requires a flag or
//! an `impact` threat for each such product. SUSE's published files do
//! not meet it (their one `impact` threat names no product). The document
//! is kept, but such a product gets no `not_affected` statement, since an
//! answer without a reason is what both standards forbid: it is counted in
//! [`Csaf::unjustified`] instead. See docs/decisions.md.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::de::{Deserialize, Deserializer};
use serde_json::Value;

use super::wire::{Object, Time};
use super::{check_statement, deserialize_label, invalid, read, text, Label};
use super::{Justification, Product, Statement, Status};
use crate::{Error, Result};

/// What a CSAF error is about, as [`Error::Invalid`] prints it.
const CSAF: &str = "CSAF VEX document";

/// The deepest `branches` nesting read (real files nest 3 to 5 deep).
pub const MAX_BRANCH_DEPTH: usize = 32;
/// The most products (branch products, full product names and
/// relationships together) read from one document.
pub const MAX_PRODUCTS: usize = 200_000;
/// The most statements one document yields.
pub const MAX_STATEMENTS: usize = 1_000_000;
/// The deepest chain of relationships resolved (a component of a module
/// of a product).
const MAX_RELATIONSHIP_DEPTH: usize = 16;

/// A CSAF 2.0 VEX document, read and validated ([`Csaf::from_json`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Csaf {
    /// `document.tracking.id`, the document's identifier.
    pub id: String,
    /// `document.publisher.name`.
    pub publisher: String,
    /// `document.publisher.namespace`, the publisher's URL.
    pub namespace: Option<String>,
    /// `document.tracking.current_release_date`: every statement's time.
    pub timestamp: Timestamp,
    /// The statements, one per vulnerability, product and status.
    pub statements: Vec<Statement>,
    /// How many `known_not_affected` products had neither a flag nor an
    /// impact threat, and so got no statement (see the module
    /// documentation).
    pub unjustified: usize,
}

impl Csaf {
    /// Parses and validates a CSAF 2.0 document of category `csaf_vex`;
    /// another category, another `csaf_version`, a missing tracking id or
    /// release date, a product id no product defines, or a field of the
    /// wrong type is an error naming the field path. A repeated key
    /// anywhere is refused (see [`crate::json`]).
    pub fn from_json(bytes: &[u8]) -> Result<Csaf> {
        crate::json::check_unique_keys(bytes, CSAF)?;
        let value: Value =
            serde_json::from_slice(bytes).map_err(|error| Error::Json { what: CSAF, error })?;
        Csaf::from_value(&value)
    }

    /// [`Csaf::from_json`] of parsed JSON.
    pub fn from_value(value: &Value) -> Result<Csaf> {
        let Object(root) = read::<Object<Root>>(value, CSAF, "")?;
        let missing = |path: &str| invalid(CSAF, path, "is missing");
        let Object(document) = root.document.ok_or_else(|| missing("document"))?;
        let category = document
            .category
            .ok_or_else(|| missing("document.category"))?;
        if category != "csaf_vex" {
            return Err(invalid(
                CSAF,
                "document.category",
                &format!("is {category:?}: vouch reads VEX answers only from csaf_vex documents"),
            ));
        }
        let version = document
            .csaf_version
            .ok_or_else(|| missing("document.csaf_version"))?;
        if version != "2.0" {
            return Err(invalid(
                CSAF,
                "document.csaf_version",
                &format!("is {version:?}, expected \"2.0\""),
            ));
        }
        let Object(publisher) = document
            .publisher
            .ok_or_else(|| missing("document.publisher"))?;
        let Object(tracking) = document
            .tracking
            .ok_or_else(|| missing("document.tracking"))?;
        let id = text(tracking.id).ok_or_else(|| missing("document.tracking.id"))?;
        let timestamp = tracking
            .current_release_date
            .ok_or_else(|| missing("document.tracking.current_release_date"))?
            .0;
        let tree = match root.product_tree {
            Some(Object(tree)) => Tree::read(tree, value)?,
            None => Tree::default(),
        };
        let mut csaf = Csaf {
            id,
            publisher: text(publisher.name).ok_or_else(|| missing("document.publisher.name"))?,
            namespace: text(publisher.namespace),
            timestamp,
            statements: Vec::new(),
            unjustified: 0,
        };
        for (i, Object(v)) in root
            .vulnerabilities
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            csaf.vulnerability(v, &format!("vulnerabilities[{i}]"), &tree)?;
        }
        Ok(csaf)
    }

    /// Adds the statements of one vulnerability.
    fn vulnerability(&mut self, v: Vulnerability, path: &str, tree: &Tree) -> Result<()> {
        let ids: Vec<String> = v
            .ids
            .unwrap_or_default()
            .into_iter()
            .filter_map(|Object(id)| text(id.text))
            .collect();
        let (name, aliases) = match text(v.cve) {
            Some(cve) => (cve, ids),
            None => {
                let mut ids = ids.into_iter();
                let first = ids.next().ok_or_else(|| {
                    invalid(
                        CSAF,
                        path,
                        "has neither a cve nor ids: it names no vulnerability",
                    )
                })?;
                (first, ids.collect())
            }
        };
        let Some(Object(status)) = v.product_status else {
            return Ok(());
        };
        // Who each flag, threat and remediation speaks of.
        let mut justification: HashMap<String, Justification> = HashMap::new();
        for (i, Object(flag)) in v.flags.unwrap_or_default().into_iter().enumerate() {
            let at = format!("{path}.flags[{i}]");
            let label = flag
                .label
                .ok_or_else(|| invalid(CSAF, &format!("{at}.label"), "is missing"))?;
            for product in tree.named(&at, flag.product_ids, flag.group_ids)? {
                justification.entry(product).or_insert(label);
            }
        }
        let mut impact: HashMap<String, Vec<String>> = HashMap::new();
        let mut exploit: HashMap<String, Vec<String>> = HashMap::new();
        for (i, Object(threat)) in v.threats.unwrap_or_default().into_iter().enumerate() {
            let at = format!("{path}.threats[{i}]");
            let target = match threat.category.as_deref() {
                Some("impact") => &mut impact,
                Some("exploit_status") => &mut exploit,
                _ => continue,
            };
            let Some(details) = text(threat.details) else {
                continue;
            };
            for product in tree.named(&at, threat.product_ids, threat.group_ids)? {
                target.entry(product).or_default().push(details.clone());
            }
        }
        let mut actions: HashMap<String, Vec<String>> = HashMap::new();
        for (i, Object(r)) in v.remediations.unwrap_or_default().into_iter().enumerate() {
            let at = format!("{path}.remediations[{i}]");
            let category = r
                .category
                .ok_or_else(|| invalid(CSAF, &format!("{at}.category"), "is missing"))?;
            let mut action = category.label().to_string();
            if let Some(details) = text(r.details) {
                action = format!("{action}: {details}");
            }
            if let Some(url) = text(r.url) {
                action = format!("{action} {url}");
            }
            for product in tree.named(&at, r.product_ids, r.group_ids)? {
                actions.entry(product).or_default().push(action.clone());
            }
        }
        let lists = [
            (
                "known_not_affected",
                status.known_not_affected,
                Status::NotAffected,
            ),
            ("fixed", status.fixed, Status::Fixed),
            ("first_fixed", status.first_fixed, Status::Fixed),
            ("known_affected", status.known_affected, Status::Affected),
            ("first_affected", status.first_affected, Status::Affected),
            ("last_affected", status.last_affected, Status::Affected),
            (
                "under_investigation",
                status.under_investigation,
                Status::UnderInvestigation,
            ),
        ];
        for (field, list, status) in lists {
            for (j, product_id) in list.unwrap_or_default().into_iter().enumerate() {
                let at = format!("{path}.product_status.{field}[{j}]");
                let product = tree.product(&at, &product_id)?;
                let join = |map: &HashMap<String, Vec<String>>| {
                    map.get(&product_id).map(|all| all.join("; "))
                };
                let mut statement = Statement {
                    vulnerability: name.clone(),
                    aliases: aliases.clone(),
                    products: vec![product],
                    status,
                    justification: None,
                    impact_statement: None,
                    action_statement: None,
                    status_notes: join(&exploit).map(|e| format!("exploit status: {e}")),
                    timestamp: self.timestamp,
                };
                match status {
                    Status::NotAffected => {
                        statement.justification = justification.get(&product_id).copied();
                        statement.impact_statement = join(&impact);
                        if statement.justification.is_none() && statement.impact_statement.is_none()
                        {
                            self.unjustified += 1;
                            continue;
                        }
                    }
                    Status::Affected => statement.action_statement = join(&actions),
                    Status::Fixed | Status::UnderInvestigation => {}
                }
                check_statement(&statement, &at, CSAF)?;
                if self.statements.len() >= MAX_STATEMENTS {
                    return Err(invalid(
                        CSAF,
                        "vulnerabilities",
                        &format!("yield more than {MAX_STATEMENTS} statements"),
                    ));
                }
                self.statements.push(statement);
            }
        }
        Ok(())
    }
}

/// The product tree, resolved: each product id's identifier (purl or
/// CPE), the relationships' platform and component, the groups.
#[derive(Default)]
struct Tree {
    /// A product's purl or CPE, `None` when it has neither.
    products: HashMap<String, Option<String>>,
    /// A relationship's product id: (component id, platform id).
    relationships: HashMap<String, (String, String)>,
    /// A group id: its product ids.
    groups: HashMap<String, Vec<String>>,
}

impl Tree {
    /// Reads the tree; `root` is the whole document, whose branches are
    /// read one at a time (so that their depth is bounded before serde
    /// recurses into them).
    fn read(wire: ProductTree, root: &Value) -> Result<Tree> {
        let mut tree = Tree::default();
        let mut count = 0usize;
        let mut define = |tree: &mut Tree, at: &str, p: FullProductName| -> Result<()> {
            count += 1;
            if count > MAX_PRODUCTS {
                return Err(invalid(
                    CSAF,
                    "product_tree",
                    &format!("defines more than {MAX_PRODUCTS} products"),
                ));
            }
            let id = text(p.product_id)
                .ok_or_else(|| invalid(CSAF, &format!("{at}.product_id"), "is missing"))?;
            let identifier = p
                .product_identification_helper
                .and_then(|Object(h)| text(h.purl).or_else(|| text(h.cpe)));
            if tree.products.insert(id.clone(), identifier).is_some() {
                return Err(invalid(
                    CSAF,
                    &format!("{at}.product_id"),
                    &format!("{id:?} is defined twice"),
                ));
            }
            Ok(())
        };
        // Branches, depth first, each read as a shallow wire value.
        let branches = root.pointer("/product_tree/branches");
        let mut stack: Vec<(&Value, String, usize)> = match branches.and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .enumerate()
                .rev()
                .map(|(i, b)| (b, format!("product_tree.branches[{i}]"), 1))
                .collect(),
            None => Vec::new(),
        };
        if wire.branches.is_some() && branches.and_then(Value::as_array).is_none() {
            return Err(invalid(CSAF, "product_tree.branches", "is not a list"));
        }
        while let Some((value, at, depth)) = stack.pop() {
            if depth > MAX_BRANCH_DEPTH {
                return Err(invalid(
                    CSAF,
                    &at,
                    &format!("branches nest deeper than {MAX_BRANCH_DEPTH}"),
                ));
            }
            let Object(branch) = read::<Object<Branch>>(value, CSAF, &at)?;
            if let Some(Object(product)) = branch.product {
                define(&mut tree, &format!("{at}.product"), product)?;
            }
            if let Some(children) = value.get("branches").and_then(Value::as_array) {
                for (i, child) in children.iter().enumerate().rev() {
                    stack.push((child, format!("{at}.branches[{i}]"), depth + 1));
                }
            }
        }
        for (i, Object(p)) in wire
            .full_product_names
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            define(
                &mut tree,
                &format!("product_tree.full_product_names[{i}]"),
                p,
            )?;
        }
        for (i, Object(r)) in wire
            .relationships
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let at = format!("product_tree.relationships[{i}]");
            let missing = |field: &str| invalid(CSAF, &format!("{at}.{field}"), "is missing");
            let category = r.category.ok_or_else(|| missing("category"))?;
            if !RELATIONSHIPS.contains(&category.as_str()) {
                return Err(invalid(
                    CSAF,
                    &format!("{at}.category"),
                    &format!(
                        "unknown relationship {category:?} (expected one of: {})",
                        RELATIONSHIPS.join(", ")
                    ),
                ));
            }
            let Object(full) = r
                .full_product_name
                .ok_or_else(|| missing("full_product_name"))?;
            let component =
                text(r.product_reference).ok_or_else(|| missing("product_reference"))?;
            let platform = text(r.relates_to_product_reference)
                .ok_or_else(|| missing("relates_to_product_reference"))?;
            let id = full.product_id.clone().unwrap_or_default();
            define(&mut tree, &format!("{at}.full_product_name"), full)?;
            tree.relationships.insert(id, (component, platform));
        }
        for (i, Object(g)) in wire
            .product_groups
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let at = format!("product_tree.product_groups[{i}]");
            let id = text(g.group_id)
                .ok_or_else(|| invalid(CSAF, &format!("{at}.group_id"), "is missing"))?;
            tree.groups.insert(id, g.product_ids.unwrap_or_default());
        }
        Ok(tree)
    }

    /// The product ids `product_ids` and `group_ids` name, at `at`.
    fn named(
        &self,
        at: &str,
        product_ids: Option<Vec<String>>,
        group_ids: Option<Vec<String>>,
    ) -> Result<Vec<String>> {
        let mut all = product_ids.unwrap_or_default();
        for (i, group) in group_ids.unwrap_or_default().iter().enumerate() {
            let members = self.groups.get(group).ok_or_else(|| {
                invalid(
                    CSAF,
                    &format!("{at}.group_ids[{i}]"),
                    &format!("{group:?} is no product group of the product tree"),
                )
            })?;
            all.extend(members.iter().cloned());
        }
        Ok(all)
    }

    /// The OpenVEX product `id` stands for (see the module documentation);
    /// an id the tree does not define is an error at `at`.
    fn product(&self, at: &str, id: &str) -> Result<Product> {
        let own = self.products.get(id).ok_or_else(|| {
            invalid(
                CSAF,
                at,
                &format!("{id:?} is no product of the product tree"),
            )
        })?;
        let Some((component, platform)) = self.relationships.get(id) else {
            return Ok(Product {
                id: own.clone().unwrap_or_else(|| unidentified(id)),
                subcomponents: Vec::new(),
            });
        };
        if let Some(own) = own {
            return Ok(Product {
                id: own.clone(),
                subcomponents: Vec::new(),
            });
        }
        let component = self.identifier(at, component, 0)?;
        Ok(match self.identifier(at, platform, 0)? {
            Some(platform) => Product {
                id: platform,
                subcomponents: vec![component.unwrap_or_else(|| unidentified(id))],
            },
            None => Product {
                id: component.unwrap_or_else(|| unidentified(id)),
                subcomponents: Vec::new(),
            },
        })
    }

    /// The purl or CPE of product `id`: its own, else, for a relationship's
    /// product, its component's.
    fn identifier(&self, at: &str, id: &str, depth: usize) -> Result<Option<String>> {
        let own = self.products.get(id).ok_or_else(|| {
            invalid(
                CSAF,
                at,
                &format!("refers to {id:?}, which is no product of the product tree"),
            )
        })?;
        if own.is_some() {
            return Ok(own.clone());
        }
        match self.relationships.get(id) {
            Some(_) if depth >= MAX_RELATIONSHIP_DEPTH => Err(invalid(
                CSAF,
                at,
                &format!("relationships chain deeper than {MAX_RELATIONSHIP_DEPTH}"),
            )),
            Some((component, _)) => self.identifier(at, component, depth + 1),
            None => Ok(None),
        }
    }
}

/// The identifier of a product without a purl or CPE: never a purl, so it
/// never answers for a package.
fn unidentified(product_id: &str) -> String {
    format!("csaf:product_id:{product_id}")
}

/// The relationship categories of CSAF 2.0 §3.2.2.1.5.
const RELATIONSHIPS: [&str; 5] = [
    "default_component_of",
    "external_component_of",
    "installed_on",
    "installed_with",
    "optional_component_of",
];

/// A remediation's category (CSAF 2.0 §3.2.3.12.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Remediation {
    Mitigation,
    NoFixPlanned,
    NoneAvailable,
    VendorFix,
    Workaround,
}

impl Label for Remediation {
    const KIND: &'static str = "remediation category";
    const VALUES: &'static [Self] = &[
        Remediation::Mitigation,
        Remediation::NoFixPlanned,
        Remediation::NoneAvailable,
        Remediation::VendorFix,
        Remediation::Workaround,
    ];

    fn label(self) -> &'static str {
        match self {
            Remediation::Mitigation => "mitigation",
            Remediation::NoFixPlanned => "no_fix_planned",
            Remediation::NoneAvailable => "none_available",
            Remediation::VendorFix => "vendor_fix",
            Remediation::Workaround => "workaround",
        }
    }
}

impl<'de> Deserialize<'de> for Remediation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserialize_label(deserializer)
    }
}

// The wire shapes (CSAF 2.0 JSON schema), every field optional so that a
// missing one is reported with its path; unknown fields are ignored.

#[derive(serde::Deserialize)]
struct Root {
    document: Option<Object<DocumentMeta>>,
    product_tree: Option<Object<ProductTree>>,
    vulnerabilities: Option<Vec<Object<Vulnerability>>>,
}

#[derive(serde::Deserialize)]
struct DocumentMeta {
    category: Option<String>,
    csaf_version: Option<String>,
    publisher: Option<Object<Publisher>>,
    tracking: Option<Object<Tracking>>,
}

#[derive(serde::Deserialize)]
struct Publisher {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(serde::Deserialize)]
struct Tracking {
    id: Option<String>,
    current_release_date: Option<Time>,
    /// Not kept, but a date-time: checked.
    #[serde(rename = "initial_release_date")]
    _initial_release_date: Option<Time>,
}

#[derive(serde::Deserialize)]
struct ProductTree {
    /// Read one branch at a time by [`Tree::read`]; only its presence here.
    branches: Option<serde::de::IgnoredAny>,
    full_product_names: Option<Vec<Object<FullProductName>>>,
    relationships: Option<Vec<Object<Relationship>>>,
    product_groups: Option<Vec<Object<ProductGroup>>>,
}

/// One branch, without its children (read separately).
#[derive(serde::Deserialize)]
struct Branch {
    product: Option<Object<FullProductName>>,
}

#[derive(serde::Deserialize)]
struct FullProductName {
    product_id: Option<String>,
    product_identification_helper: Option<Object<Helper>>,
}

#[derive(serde::Deserialize)]
struct Helper {
    purl: Option<String>,
    cpe: Option<String>,
}

#[derive(serde::Deserialize)]
struct Relationship {
    category: Option<String>,
    full_product_name: Option<Object<FullProductName>>,
    product_reference: Option<String>,
    relates_to_product_reference: Option<String>,
}

#[derive(serde::Deserialize)]
struct ProductGroup {
    group_id: Option<String>,
    product_ids: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct Vulnerability {
    cve: Option<String>,
    ids: Option<Vec<Object<Id>>>,
    product_status: Option<Object<ProductStatus>>,
    flags: Option<Vec<Object<Flag>>>,
    threats: Option<Vec<Object<Threat>>>,
    remediations: Option<Vec<Object<WireRemediation>>>,
}

#[derive(serde::Deserialize)]
struct Id {
    text: Option<String>,
}

#[derive(serde::Deserialize)]
struct ProductStatus {
    known_not_affected: Option<Vec<String>>,
    fixed: Option<Vec<String>>,
    first_fixed: Option<Vec<String>>,
    known_affected: Option<Vec<String>>,
    first_affected: Option<Vec<String>>,
    last_affected: Option<Vec<String>>,
    under_investigation: Option<Vec<String>>,
    /// Not a VEX status: type-checked only.
    #[serde(rename = "recommended")]
    _recommended: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct Flag {
    label: Option<Justification>,
    product_ids: Option<Vec<String>>,
    group_ids: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct Threat {
    category: Option<String>,
    details: Option<String>,
    product_ids: Option<Vec<String>>,
    group_ids: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct WireRemediation {
    category: Option<Remediation>,
    details: Option<String>,
    url: Option<String>,
    product_ids: Option<Vec<String>>,
    group_ids: Option<Vec<String>>,
}

#[cfg(test)]
#[path = "csaf_tests.rs"]
mod tests;
