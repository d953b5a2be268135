/// The version of E2 this build is, reported by `e2 version` and later by `/metrics`.
public enum BuildInfo {
    public static let version = "0.1.0"
}
