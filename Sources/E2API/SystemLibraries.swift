import CE2OpenSSL
import CE2SQLite

/// The versions of the C libraries the API is linked with, for `e2 doctor` and `/metrics`.
public enum APILibraries {
    /// OpenSSL's version as the linked library reports it (`OpenSSL 3.0.19 27 Jan 2026`).
    public static var openSSLVersion: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }

    /// The linked OpenSSL's major version; E2 needs 3.
    public static var openSSLMajorVersion: Int { Int(OPENSSL_version_major()) }

    /// SQLite's version as the linked library reports it (`3.40.1`).
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }
}
