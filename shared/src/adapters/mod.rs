//! The adapters: the ports implemented over the real services. AWS through the SDK, one module
//! per service ([`aws`]), and the members' MySQL servers.

pub mod aws;
pub mod mysql;
