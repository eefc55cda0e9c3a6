//! The privacy policy, the one authority on access: who may do what (the capability table),
//! which customers' rows a caller sees, which sensitivity class every field has, what each
//! principal may see of each class, and the masked forms. Every customer that leaves the
//! service layer — REST, GraphQL, exports — is rendered here.

pub mod capability;
mod catalogue;
mod fields;
pub mod limits;
mod mask;
mod principal;
mod render;
pub mod roles;

pub use capability::{Action, Rows, allows, authorize, may_reveal, rows};
pub use catalogue::{CATALOGUE, DERIVED, RECORDS, class_of, record_class};
pub use fields::Fields;
pub use mask::{audit_value, mask_email, mask_id_number, mask_money, mask_phone};
pub use principal::{Caller, Clearance, Principal};
pub use render::{CustomFieldClasses, render_customer, sensitive_shown};
