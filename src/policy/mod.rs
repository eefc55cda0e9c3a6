//! The privacy policy: which sensitivity class every customer field has, what each
//! principal may see of each class, and the masked forms. Every customer that leaves the
//! service layer — REST, GraphQL, and later exports and webhooks — is rendered here.

mod catalogue;
mod fields;
mod mask;
mod render;
pub mod roles;

pub use catalogue::{CATALOGUE, DERIVED, RECORDS, class_of, record_class};
pub use fields::Fields;
pub use mask::{audit_value, mask_email, mask_id_number, mask_money, mask_phone};
pub use render::{CustomFieldClasses, render_customer};
