Feature: Concurrency at scale and stale locks
  Commands waiting for the sandbox lock are served in arrival order and wait 30 s by default,
  so a queue of checkpoints of a large repository does not end in BUSY. What a killed
  process of this host left in the locks directory is removed by the next mutating command,
  whichever sandbox of the repository it works on.

  Background:
    Given a git repository
    And the repository has these committed files:
      | path   | content |
      | a.txt  | one\n   |
    And an active plan
    And the agent writes "two\n" to "a.txt"

  Scenario: the default wait outlasts a 6 s hold
    Given another savepoint process holds the plan's sandbox lock for 6 seconds
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds

  Scenario: a dead process's lock of another sandbox is removed by the next mutating command
    Given a killed savepoint process left the lock of another sandbox of the repository
    When I run "savepoint doctor --json"
    Then it fails with exit code 9 and error code "DOCTOR_PROBLEMS"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the lock of the other sandbox is gone
    And doctor reports the repository clean
