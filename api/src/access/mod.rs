//! Who is calling and what they may do: token verification ([`token`]), the request
//! extractors of each surface ([`extractors`]), CSRF protection of cookie sessions
//! ([`csrf`]), PMS's role lists per endpoint ([`roles`]), the console's access rules
//! ([`console`]), the partner portal's return URLs ([`portal`]) and what the transport says
//! (HTTPS, HSTS, the session cookie: [`transport`]). Handlers import this module; it imports
//! no handler module.

pub mod console;
pub mod csrf;
pub mod extractors;
pub mod portal;
pub mod roles;
pub mod token;
pub mod transport;

pub use console::{access as console_access, ConsoleAccess};
pub use csrf::CSRF_HEADER;
pub use extractors::{
    verify_session, ConsoleAdmin, ConsoleCaller, ConsoleCsrf, ConsoleOperator, NativeCaller,
    PmsCaller,
};
pub use portal::PortalAccess;
pub use roles::{RoleKey, RoleTable};
pub use token::{
    AuthError, AuthUser, Authenticator, Claims, Profile, RealmAccess, TokenSource, DEV_ISSUER,
    RESERVED_CLAIMS,
};
