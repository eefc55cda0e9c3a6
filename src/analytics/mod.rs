//! Customer analytics as pure functions: no I/O, no clock, no database. Services feed them
//! the maintained purchase facts and store what they return.
//!
//! Time is measured in days throughout. Cancelled and refunded orders never reach these
//! functions (the services leave them out).
//!
//! - [`rfm`]: recency, frequency, monetary; quintile scores; the eleven segment names.
//! - [`bgnbd`]: the BG/NBD model of Fader, Hardie & Lee (2005), "Counting Your Customers the
//!   Easy Way": log-likelihood, maximum-likelihood fit, P(alive), expected purchases.
//! - [`gamma_gamma`]: the Gamma-Gamma spend model of Fader & Hardie (2005/2013): fit,
//!   expected average order value, and discounted lifetime value with BG/NBD.
//! - [`scores`]: loyalty 0–100 with its components, grade A–D, lifecycle stage, completeness.
//! - [`special`]: log-gamma and the Gaussian hypergeometric function ₂F₁.
//! - [`optimize`]: Nelder–Mead minimisation, used on log-parameters.

pub mod bgnbd;
pub mod gamma_gamma;
pub mod optimize;
pub mod rfm;
pub mod scores;
pub mod special;
