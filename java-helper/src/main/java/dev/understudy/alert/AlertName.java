package dev.understudy.alert;

/** Every alert Understudy raises, with its severity and what the operator should do (docs/alerts.md). */
public enum AlertName {
    MAIN_NOT_SIGNING("warning", false, "The configured main is not the one signing: it lost the role or its node stopped.",
            "Check `understudy status`: if the backup signs, find out why the main stopped, fix it, then `understudy failback`."),
    FAILOVER_STARTED("critical", false, "The holder lost the signing role and no host holds it yet.",
            "Usually resolved by FAILOVER_COMPLETED within seconds. If not, see NO_SIGNER."),
    FAILOVER_COMPLETED("critical", true, "A standby took the signing role; the message carries detection time, time to first signature and rounds lost.",
            "Find out why the previous holder stopped. Once it is healthy and holds the keys, plan a failback."),
    BACKUP_UNHEALTHY("warning", false, "A standby could not take over now: its agent is silent, its node is out of sync, it is unreachable over SSH, or it lacks keys.",
            "Restore the named part on that host; `understudy status` shows which."),
    KEYS_MISSING_FOR_PERIOD("critical", false, "A standby lacks verified keys for the current or the next validation period.",
            "On the signing host run `understudy sync push --force`; on the standby check `understudy sync status` and the quarantine."),
    TWO_SIGNERS("critical", false, "More than one signer instance signs with the validator key.",
            "Stop the node that should not sign at once (`systemctl stop` of the node on the non-holder) and investigate: this can be slashed."),
    NO_SIGNER("critical", false, "The validator is in the current set and nothing signs for it.",
            "Check `understudy status`: is any agent up, is etcd healthy, does any standby have keys and a synced node?"),
    ETCD_DEGRADED("warning", false, "Not every etcd member answers (critical when there is no quorum: nobody can take the role, and the holder signs on only while every other agent answers it directly).",
            "Bring the member back (`systemctl status etcd` on it); with no quorum, restore it before anything else."),
    BUNDLE_REJECTED("warning", true, "A host refused a key bundle and quarantined it (the reason is in the message).",
            "Read the reason (`understudy sync status` on that host); corrupt or truncated: push again; wrong signer or replay: investigate."),
    PUSH_REFUSED("critical", false, "The signing host refuses to send keys to a peer whose SSH host key is unknown or changed: a reinstalled host, or a machine in the middle. Keys stop reaching that peer.",
            "Compare the fingerprint in the message with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the peer itself (console, not over the network). Reinstalled: re-run the understudy role to pin the new key. Otherwise treat it as an attack."),
    BACKUP_CAPACITY("critical", false, "A shared backup could take over this validator, but it already signs for as many validators as its capacity allows: nothing signs for this one.",
            "Bring this validator's main back, or another validator's main (then fail back to it) to free a slot; or raise the backup's capacity (coordination.shared_backup.capacity) if it can carry one more signing node."),
    ELECTION_DUTY_OFF("warning", true, "A backup took the signing role with election duty switched off: the validator leaves the set at the next period.",
            "Fail back to the main before the next election, or switch election duty on (understudy_election_duty) and restart the agent."),
    WATCHDOG_STALE("warning", false, "The monitor's watchdog has stopped checking (noticed by an agent).",
            "Check the monitor: `systemctl status understudy-watchdog` or its cron entry, and the monitor's reachability.");

    private final String severity;
    private final boolean event;
    private final String meaning;
    private final String action;

    AlertName(String severity, boolean event, String meaning, String action) {
        this.severity = severity;
        this.event = event;
        this.meaning = meaning;
        this.action = action;
    }

    public String severity() {
        return severity;
    }

    /** An event is sent once and has no resolve message; a condition fires and resolves. */
    public boolean event() {
        return event;
    }

    public String meaning() {
        return meaning;
    }

    public String action() {
        return action;
    }
}
