package dev.jobs.http;

/** Who may call, once its token is checked: what it may do, and who it is. */
record Caller(Role role, String principal) {
    /** The caller of a route that needs no token. */
    static final Caller PUBLIC = new Caller(Role.READ, "anonymous");
}
