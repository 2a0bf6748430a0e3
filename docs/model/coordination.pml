/*
 * Understudy's coordination protocol as a Promela model, checked exhaustively with spin (docs/model/check).
 *
 * Two validator hosts (0 = main, 1 = backup), an etcd cluster (its operations are atomic: etcd is linearizable), a
 * chain that records who signed each round, each host's node and agent, a hang watchdog, and an environment that
 * freezes agents, cuts hosts from etcd or from the chain, powers hosts off, makes holders step down (a demote, a
 * switchover, an unhealthy node), and — as an adversary with the monitor's etcd credentials — writes switchover
 * requests and, with FORGE_DELETE, deletes the leader key (which etcd's RBAC denies the monitor; the switch shows the
 * protocol stays safe even when someone with write access does it). Time is discrete: one tick is one round.
 *
 * The rules are those of java-helper's Decide (the decision function), LeaseKeeper (renewals, the fence window, the
 * watchdog feed) and Agent (acquire, activate, step down with a release record):
 *   holder:  renews its lease every tick while it reaches etcd; fences at ack + F (F = lease TTL - margin - watchdog
 *            timeout; on the keeper's own thread, so a slow tick never delays it); fences when its snapshot shows the
 *            leader key gone or renamed; steps down on an event: node off and confirmed, then one transaction deletes
 *            the leader key and writes the release record (epoch, last signed round).
 *   standby: looks at a snapshot; may take the role only when the leader key is absent and either the release record
 *            names the newest epoch (the epoch key's revision) or the chain shows no vote for K rounds; its
 *            transaction compares the epoch key with its snapshot; it activates its node under the epoch, never at or
 *            before the released last round, and in the round in progress only when that round began after its
 *            first look at the absent key (with JOIN; a newer epoch granted since that look restarts it).
 *   node:    signs each round while switched on, at the start of the round (the worst case: as early as it can), also
 *            when cut from the chain (its votes queue and arrive late); with NODE_FENCE it refuses an epoch lower than
 *            the highest it has seen on the chain.
 *
 * With FAILSAFE, the holder's fence deadline also moves with promises: a holder whose renewals lag asks the other
 * agent directly; that agent grants only while it neither holds nor gives up the role and its chain view shows the
 * key's vote within K rounds, and then takes no transaction for T rounds from the request's arrival (kept across a
 * power loss). The holder counts a grant from its request's send time: base = max(last acknowledged keep-alive, last
 * granted request), and everything that used the keep-alive (fence, watchdog, renewal, join) uses that base. The
 * agents' link may be cut like any other.
 *
 * Invariants, asserted at every round:
 *   S1  at most one host signs any round;
 *   R1  no round at or before a released last round is signed after its release record was written.
 *
 * Faults and events (freezes, cuts, power losses, step-downs, forged requests) come from one budget, MAXF, so the
 * state space is finite; every interleaving of them with every timing within MAXT rounds is explored.
 *
 * Switches (spin -DNAME=value): WD (1: hang watchdog armed while holding), FORGE_DELETE, BUGGY (1: a switchover
 * invitation alone skips the evidence wait — the hole this design closes; the check expects a counterexample),
 * CHAIN_CUT (1: a node may be cut from the chain), NODE_FENCE, JOIN (1: a new holder joins the round in progress that
 * began after its first look at the absent key, when it activates within its fence window; 0: never the round in
 * progress; 2, 3, 4: without both conditions, without the first, without the second — the check expects
 * counterexamples), FAILSAFE, FS_BUG (1: a standby's transaction ignores its promise — the check expects a
 * counterexample), MAXT, MAXF. The hosts share one clock
 * here; the join margin that covers their difference is argued in docs/coordination.md and exercised by
 * DecideProperties with stepped wall clocks.
 */

#ifndef WD
#define WD 1
#endif
#ifndef FORGE_DELETE
#define FORGE_DELETE 0
#endif
#ifndef BUGGY
#define BUGGY 0
#endif
#ifndef CHAIN_CUT
#define CHAIN_CUT 1
#endif
#ifndef NODE_FENCE
#define NODE_FENCE 0
#endif
#ifndef JOIN
#define JOIN 1
#endif
#ifndef FAILSAFE
#define FAILSAFE 0
#endif
#ifndef FS_BUG
#define FS_BUG 0
#endif
#ifndef MAXT
#define MAXT 12        /* rounds explored */
#endif
#ifndef MAXF
#define MAXF 3         /* faults and events the environment may inject */
#endif

#define T 4            /* lease TTL */
#define F 2            /* fence after: T - margin - W, margin >= 1 */
#define W 1            /* watchdog timeout */
#define K 2            /* takeover rounds without a vote */
#define NONE 255

byte now = 1;
byte faults;

/* etcd */
byte rev = 2;                 /* the store's revision: every write takes the next */
byte ldr = 0;                 /* leader key: holder, NONE when absent (the main holds it at the start) */
byte lepoch = 2;              /* its create revision: the epoch */
byte lown = 0;                /* the lease it was created on: its owner, NONE when the lease is gone */
byte lexp = 1 + T;            /* the lease's expiry, on etcd's clock */
byte latest = 2;              /* the epoch key's mod revision: the newest epoch ever created */
byte rel_epoch;               /* release record: epoch (0: none) */
byte rel_last;                /*   and the last round its node signed */
bool cut_etcd[2];
#if BUGGY
byte sw_to = NONE;            /* switchover request: target */
byte sw_epoch;                /*   for the holder of this epoch */
#endif

/* chain */
byte last_vote;               /* highest round of any vote delivered (late ones included) */
byte chain_epoch;             /* highest epoch any delivered vote carried */
bool cut_chain[2];
byte queued[2];               /* highest round a cut node signed and has not delivered (0: none) */
byte queued_epoch[2];
byte max_released;            /* the highest released last round written so far (R1) */

/* nodes */
bool on[2];                   /* validation switched on */
byte nepoch[2];               /* the epoch it was switched on under */
byte nfloor[2];               /* first round it may sign */
byte nlast[2];                /* last round it signed */

/* agents */
bool hold[2];                 /* holds the role (the lease keeper's view) */
bool stopping[2];             /* gave the role up on purpose; node not yet confirmed off */
byte aep[2];                  /* the epoch it holds */
byte ack[2];                  /* send time of its last acknowledged keep-alive */
bool armed[2];                /* hang watchdog armed */
bool hung[2];                 /* agent frozen (SIGSTOP, deadlock) */
bool down[2];                 /* host powered off */
bool may_take[2];             /* a standby between its look and its transaction */
byte seen_latest[2];
byte take_floor[2];
bool activating[2];           /* a new holder between its transaction and its activation */
byte absent_at[2];            /* the round of its first look at the absent key (NONE: present at its last look) */
byte absent_ep[2];            /*   and the newest epoch then */

#if FAILSAFE
/* the failsafe: a holder whose renewals lag asks the other agent directly; a grant is a promise not to take the role
   for T rounds from its receipt, kept across power losses (written to disk before it is sent) */
bool cut_peer;                /* the agents' direct link is cut (requests and answers in flight are lost) */
byte prom[2];                 /* host h does not take the role before this round */
byte fack[2];                 /* holder: send time of the newest request the other agent granted (0: none) */
byte resp_at[2];              /* a grant in flight back to h: the send time of the request it answers (0: none) */
byte resp_ep[2];
#define base(h) (fack[h] > ack[h] -> fack[h] : ack[h])
#if FS_BUG == 1
#define unpromised(h) (true)      /* the hole: a standby's transaction ignores the promises it gave */
#else
#define unpromised(h) (now >= prom[h])   /* no transaction while a promise it gave runs */
#endif
#else
#define base(h) (ack[h])
#define unpromised(h) (true)
#endif

#if NODE_FENCE
#define epoch_ok(h) (nepoch[h] >= chain_epoch)
#else
#define epoch_ok(h) (true)
#endif
#define signs(h) (on[h] && !down[h] && now >= nfloor[h] && epoch_ok(h))
#define live(h) (!hung[h] && !down[h])
#define must_stop(h) ((hold[h] || stopping[h]) && live(h) && now + 1 > base(h) + F)
#define must_reset(h) (armed[h] && now + 1 > base(h) + F + W)

inline deliver(h) {
  if :: queued[h] > last_vote -> last_vote = queued[h] :: else -> skip fi;
  if :: queued_epoch[h] > chain_epoch -> chain_epoch = queued_epoch[h] :: else -> skip fi;
  queued[h] = 0
}

/* a node signs round `now`: S1 and R1 are checked here */
inline sign(h) {
  assert(nlast[1 - h] != now);                        /* S1: the other host did not sign this round */
  assert(now > max_released);                         /* R1 */
  nlast[h] = now;
  if
  :: !cut_chain[h] ->
     last_vote = now;
     if :: nepoch[h] > chain_epoch -> chain_epoch = nepoch[h] :: else -> skip fi
  :: else -> queued[h] = now; queued_epoch[h] = nepoch[h]
  fi
}

/* the agent becomes standby and the node stops (a fence, a watchdog reset or a power loss all end here) */
inline stop_all(h) {
  on[h] = false; hold[h] = false; stopping[h] = false; activating[h] = false; may_take[h] = false; armed[h] = false;
  absent_at[h] = NONE; absent_ep[h] = 0;
#if FAILSAFE
  fack[h] = 0
#else
  skip
#endif
}

proctype Agent(byte h) {
  byte floor;
  do
  /* holder: the fence window passed (the keeper's own thread), or its snapshot shows the key gone or renamed */
  :: atomic { live(h) && hold[h] && (now >= base(h) + F || !cut_etcd[h] && !(ldr == h && lepoch == aep[h])) -> stop_all(h) }
  /* holder: steps down on an event: role dropped, node deactivating, lease still renewed */
  :: atomic { live(h) && hold[h] && !activating[h] && !cut_etcd[h] && faults < MAXF -> faults++; hold[h] = false; stopping[h] = true;
#if FAILSAFE
       fack[h] = 0   /* a step-down renews its lease in etcd (it writes the release record there): no promises */
#else
       skip
#endif
     }
  /* stepping down: the node confirmed stopped, then one transaction deletes the leader key with the release record */
  :: atomic {
       live(h) && stopping[h] ->
       if
       :: !cut_etcd[h] && ldr == h && lepoch == aep[h] ->
          ldr = NONE; lown = NONE; rev++;
          rel_epoch = aep[h];
          floor = nlast[h];
          if :: nepoch[h] == aep[h] && nfloor[h] - 1 > floor -> floor = nfloor[h] - 1 :: else -> skip fi;
          rel_last = floor;
          if :: floor > max_released -> max_released = floor :: else -> skip fi
       :: else -> skip   /* cut off, or the key is gone: no record; the lease expires */
       fi;
       stop_all(h)
     }
  /* standby: looks (one snapshot, the chain's evidence) */
  :: atomic {
       live(h) && !hold[h] && !stopping[h] && !activating[h] && !may_take[h] && !cut_etcd[h] && ldr == NONE ->
       seen_latest[h] = latest;
       if
       :: absent_at[h] == NONE || absent_ep[h] != latest -> absent_at[h] = now; absent_ep[h] = latest
       :: else -> skip
       fi;
       if
       :: rel_epoch != 0 && rel_epoch == latest ->          /* a proven release */
          may_take[h] = true;
          take_floor[h] = (rel_last > last_vote -> rel_last : last_vote) + 1
       :: now > last_vote + K ->                           /* no vote on the chain for K rounds */
          may_take[h] = true; take_floor[h] = last_vote + 1
#if BUGGY
       :: sw_to == h && sw_epoch == latest ->               /* invited: skipped the evidence wait */
          may_take[h] = true; take_floor[h] = last_vote + 1
#endif
       :: else -> skip
       fi
     }
  /* standby: its transaction (leader key absent, epoch key unchanged since its look) on a new lease */
  :: atomic {
       live(h) && may_take[h] ->
       may_take[h] = false;
       if
       :: !cut_etcd[h] && ldr == NONE && latest == seen_latest[h] && unpromised(h) ->
          rev++; ldr = h; lepoch = rev; latest = rev; lown = h; lexp = now + T;
          hold[h] = true; aep[h] = rev; ack[h] = now; armed[h] = (WD == 1); activating[h] = true
       :: else -> skip
       fi
     }
  /* standby: a look that finds the leader key present */
  :: atomic { live(h) && !hold[h] && !cut_etcd[h] && ldr != NONE && absent_at[h] != NONE -> absent_at[h] = NONE; absent_ep[h] = 0 }
  /* new holder: activates its node under its epoch, not before the floor; the round in progress only when it began
     after the first look at the absent key and the activation comes within the fence window (an agent frozen between
     its transaction and the activation may resume after its lease expired); it signs that round at once, the worst
     case. */
  :: atomic {
       live(h) && activating[h] ->
       activating[h] = false;
       on[h] = true; nepoch[h] = aep[h];
       nfloor[h] = (take_floor[h] > now + 1 -> take_floor[h] : now + 1);
#if JOIN
       if
       :: (JOIN == 2 || (JOIN == 3 || absent_at[h] != NONE && absent_at[h] < now) && (JOIN == 4 || now < base(h) + F)) && take_floor[h] <= now && nlast[h] < now && epoch_ok(h) ->
          nfloor[h] = now; sign(h)
       :: else -> skip
       fi;
#endif
       absent_at[h] = NONE; absent_ep[h] = 0
     }
#if FAILSAFE
  /* holder: its renewals lag (a round without one): it asks the other agent for a promise. The request arrives in
     the round it is sent (a later arrival only moves the promise's end later); it is granted only by a host that
     neither holds nor is giving up the role and whose chain view shows the key's vote within K rounds (a holder that
     does not reach the chain gets no promise). The grant travels back and may arrive rounds later. */
  :: atomic {
       live(h) && hold[h] && !activating[h] && now > ack[h] && resp_at[h] == 0 && !cut_peer && live(1 - h) &&
       !hold[1 - h] && !stopping[1 - h] && now <= last_vote + K ->
       if :: now + T > prom[1 - h] -> prom[1 - h] = now + T :: else -> skip fi;
       resp_at[h] = now; resp_ep[h] = aep[h]
     }
  /* holder: a grant arrives; it counts from its request's send time (FS_BUG 2: from its arrival), for the epoch held */
  :: atomic {
       live(h) && resp_at[h] != 0 ->
       if
       :: hold[h] && resp_ep[h] == aep[h] && resp_at[h] > fack[h] ->
#if FS_BUG == 2
          fack[h] = now
#else
          fack[h] = resp_at[h]
#endif
       :: else -> skip
       fi;
       resp_at[h] = 0
     }
#endif
  :: now >= MAXT -> break
  od
}

/* the environment: faults and events, within the budget */
proctype Environment() {
  do
  :: atomic { faults < MAXF && !hung[0] -> faults++; hung[0] = true }
  :: atomic { faults < MAXF && !hung[1] -> faults++; hung[1] = true }
  :: atomic { hung[0] -> hung[0] = false }
  :: atomic { hung[1] -> hung[1] = false }
  :: atomic { faults < MAXF -> faults++; cut_etcd[0] = !cut_etcd[0] }
  :: atomic { faults < MAXF -> faults++; cut_etcd[1] = !cut_etcd[1] }
#if CHAIN_CUT
  :: atomic { faults < MAXF && !cut_chain[0] -> faults++; cut_chain[0] = true }
  :: atomic { faults < MAXF && !cut_chain[1] -> faults++; cut_chain[1] = true }
  :: atomic { cut_chain[0] -> cut_chain[0] = false; deliver(0) }
  :: atomic { cut_chain[1] -> cut_chain[1] = false; deliver(1) }
#endif
  /* power loss: node and agent stop, the lease lives on to expire; the host boots standby (the guard keeps the node off) */
  :: atomic { faults < MAXF && !down[0] -> faults++; stop_all(0); hung[0] = false; down[0] = true }
  :: atomic { faults < MAXF && !down[1] -> faults++; stop_all(1); hung[1] = false; down[1] = true }
  :: atomic { down[0] -> down[0] = false }
  :: atomic { down[1] -> down[1] = false }
#if BUGGY
  :: atomic { faults < MAXF -> faults++; sw_to = 0; sw_epoch = latest }
  :: atomic { faults < MAXF -> faults++; sw_to = 1; sw_epoch = latest }
#endif
#if FAILSAFE
  :: atomic { faults < MAXF -> faults++; cut_peer = !cut_peer; resp_at[0] = 0; resp_at[1] = 0 }
#endif
#if FORGE_DELETE
  :: atomic { faults < MAXF && ldr != NONE -> faults++; ldr = NONE; rev++ }   /* the key only: its lease lives on */
#endif
  :: now >= MAXT -> break
  od
}

/* Time. A tick passes only when every live holder has fenced in time (and one stepping down has confirmed its node
   stopped: deactivation takes less than the margin, the timing argument's assumption), and every armed watchdog
   whose countdown ran out has reset its host. Then, in the new round: the lease expires if it was not renewed (the
   leader key created on it goes, with no record), every live holder that reaches etcd renews, and every switched-on
   node signs at once. */
proctype Clock() {
  do
  :: atomic {
       now < MAXT && !must_stop(0) && !must_stop(1) && !must_reset(0) && !must_reset(1) ->
       now++;
       if
       :: lown != NONE && now >= lexp -> if :: ldr == lown -> ldr = NONE :: else -> skip fi; lown = NONE
       :: else -> skip
       fi;
       if :: (hold[0] || stopping[0]) && live(0) && !cut_etcd[0] && lown == 0 && now < base(0) + F -> ack[0] = now; lexp = now + T :: else -> skip fi;
       if :: (hold[1] || stopping[1]) && live(1) && !cut_etcd[1] && lown == 1 && now < base(1) + F -> ack[1] = now; lexp = now + T :: else -> skip fi;
       if :: signs(0) -> sign(0) :: else -> skip fi;
       if :: signs(1) -> sign(1) :: else -> skip fi
     }
  /* a watchdog not fed since ack + F resets its host at ack + F + W: the node stops, the agent restarts standby */
  :: atomic { armed[0] && now >= base(0) + F + W -> stop_all(0); hung[0] = false }
  :: atomic { armed[1] && now >= base(1) + F + W -> stop_all(1); hung[1] = false }
  :: now >= MAXT -> break
  od
}

init {
  /* the main holds the role (epoch 2) from round 1 and signs from round 2 */
  atomic {
    hold[0] = true; aep[0] = 2; ack[0] = 1; armed[0] = (WD == 1);
    on[0] = true; nepoch[0] = 2; nfloor[0] = 2;
    run Agent(0); run Agent(1); run Environment(); run Clock()
  }
}
