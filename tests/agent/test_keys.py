"""`reservoir-agent keys USER`, as sshd's AuthorizedKeysCommand calls it: the holder's keys during
the booking, nobody's outside it, and, while the server is away, the last known holder until the
booking's end and nobody after (fail closed)."""

from datetime import UTC, datetime, timedelta

ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlice alice@laptop"
BOB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob0 bob@desk"


def holder(username, key, start_in_minutes, end_in_minutes):
    now = datetime.now(UTC)
    return {
        "username": username,
        "start": (now + timedelta(minutes=start_in_minutes)).isoformat(),
        "end": (now + timedelta(minutes=end_in_minutes)).isoformat(),
        "keys": [key],
    }


def keys(run_agent, config, user):
    done = run_agent(config, "keys", user)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[:-1]


def test_the_holder_gets_their_keys_during_the_booking_and_nobody_else(reservoir, agent_config, run_agent):
    reservoir.document = {"holders": [holder("alice", ALICE, -5, 55), holder("bob", BOB, 60, 120)]}
    config = agent_config()
    assert keys(run_agent, config, "alice") == [ALICE]
    assert keys(run_agent, config, "bob") == []  # his booking has not begun
    assert keys(run_agent, config, "root") == []
    assert reservoir.seen_tokens[0] == "Machine rsm_test"


def test_before_and_after_the_booking_nobody(reservoir, agent_config, run_agent):
    reservoir.document = {"holders": [holder("alice", ALICE, 10, 70), holder("bob", BOB, -70, -10)]}
    config = agent_config()
    assert keys(run_agent, config, "alice") == []
    assert keys(run_agent, config, "bob") == []


def test_a_shared_account_takes_every_current_holders_keys(reservoir, agent_config, run_agent):
    reservoir.document = {"holders": [holder("alice", ALICE, -5, 55), holder("bob", BOB, -1, 30)]}
    config = agent_config(account="shared:gpu")
    assert keys(run_agent, config, "gpu") == [ALICE, BOB]
    assert keys(run_agent, config, "alice") == []  # on a shared machine only the shared account


def test_a_login_reads_the_fresh_cache_without_asking_the_server(reservoir, agent_config, run_agent):
    reservoir.document = {"holders": [holder("alice", ALICE, -5, 55)]}
    config = agent_config(fresh_seconds=300)
    assert run_agent(config, "pull").returncode == 0
    reservoir.up = False
    asked = len(reservoir.seen_tokens)
    assert keys(run_agent, config, "alice") == [ALICE]
    assert len(reservoir.seen_tokens) == asked


def test_while_the_server_is_away_the_last_holder_keeps_access_and_nobody_after(reservoir, agent_config, run_agent):
    """Fetched while alice held it, with bob's booking next: the server goes away. Alice still logs
    in until her end; bob, whose booking begins after the fetch, is not let in from the cache."""
    reservoir.document = {"holders": [holder("alice", ALICE, -5, 55), holder("bob", BOB, 55, 120)]}
    config = agent_config(fresh_seconds=0)  # every login asks the server first
    assert keys(run_agent, config, "alice") == [ALICE]  # fetched and cached
    reservoir.up = False
    assert keys(run_agent, config, "alice") == [ALICE]
    assert run_agent(config, "pull").returncode == 1  # says so, keeps the cache


def test_a_stale_cache_admits_nobody_after_the_booking_ends(reservoir, agent_config, run_agent, tmp_path):
    import json

    reservoir.document = {"holders": [holder("alice", ALICE, -60, -1), holder("bob", BOB, -1, 60)]}
    config = agent_config(fresh_seconds=0)
    assert run_agent(config, "pull").returncode == 0
    cache = tmp_path / "cache" / "state.json"
    document = json.loads(cache.read_text())
    # As if fetched an hour ago, before bob's booking began.
    document["fetched_at"] = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    cache.write_text(json.dumps(document))
    reservoir.up = False
    assert keys(run_agent, config, "alice") == []  # her booking ended
    assert keys(run_agent, config, "bob") == []  # his began after the last word from the server


def test_with_no_server_and_no_cache_nobody_gets_in(agent_config, run_agent):
    config = agent_config(server="http://127.0.0.1:9", fresh_seconds=0)
    assert keys(run_agent, config, "alice") == []


def test_a_bad_config_says_what_is_wrong(tmp_path, run_agent):
    config = tmp_path / "bad.conf"
    config.write_text("[reservoir]\nserver = http://x\n")
    done = run_agent(config, "keys", "alice")
    assert done.returncode == 2 and "lacks token, resource" in done.stderr and done.stdout == ""
