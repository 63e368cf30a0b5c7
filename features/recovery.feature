Feature: Crash recovery
  Every mutating command writes its intent to the operation ledger before it changes
  anything and its outcome after. A command killed half-way leaves an intent without an
  outcome: the operation is interrupted, every mutating command on that sandbox refuses
  (exit 7) until `savepoint recover` finishes it or, with --abort, returns the sandbox to
  the state before it. Either way the sandbox ends exactly in one of those two states.

  Background: an agent changed files after the plan started
    Given a git repository
    And the repository has these committed files:
      | path       | content              |
      | src/app.js | console.log('v1');\n |
      | old.txt    | legacy\n             |
    And an active plan
    And I note the state of the sandbox as "start"
    And the agent writes "console.log('v2');\n" to "src/app.js"
    And the agent writes "new\n" to "new.txt"
    And the agent deletes "old.txt"
    And I note the state of the sandbox as "agent's work"

  Scenario Outline: a mutating command on a sandbox with an interrupted rollback refuses (<output>)
    Given I run "savepoint plan rollback <plan> <checkpoint:first> --yes" and it is killed at "rollback.after-worktree"
    When I run "savepoint checkpoint create --plan <plan>" <output>
    Then it fails with exit code 7 and error code "OPERATION_INTERRUPTED"
    And the error message contains "savepoint recover"
    And the sandbox matches the state "start"
    When I run "savepoint recover"
    Then the run succeeds

    Examples:
      | output         |
      | in human mode  |
      | with --json    |

  Scenario: recover finishes a rollback killed after it rewrote the files
    Given I run "savepoint plan rollback <plan> <checkpoint:first> --yes" and it is killed at "rollback.after-worktree"
    When I run "savepoint recover --json"
    Then the run succeeds
    And the JSON "operations.0.kind" is "rollback"
    And the JSON "operations.0.recovery" is "forward"
    And the JSON "operations.0.endState" is "post"
    And the sandbox matches the state "start"
    And doctor reports the repository clean

  Scenario: recover --abort returns to the state before the rollback
    Given I run "savepoint plan rollback <plan> <checkpoint:first> --yes" and it is killed at "rollback.after-head"
    When I run "savepoint recover --abort --json"
    Then the run succeeds
    And the JSON "operations.0.recovery" is "abort"
    And the JSON "operations.0.endState" is "pre"
    And the sandbox matches the state "agent's work"
    And doctor reports the repository clean

  Scenario: a checkpoint killed between its ref and its row leaves no orphan ref after recover
    Given I run "savepoint checkpoint create --plan <plan>" and it is killed at "checkpoint.after-ref"
    When I run "savepoint doctor --json"
    Then it fails with exit code 9 and error code "DOCTOR_PROBLEMS"
    When I run "savepoint recover --json"
    Then the run succeeds
    And the JSON "operations.0.endState" is "pre"
    And the JSON "operations.0.removedRefs" has 1 item
    And the sandbox matches the state "agent's work"
    And doctor reports the repository clean

  Scenario: the ledger shows what ran, and what recovery did
    Given I run "savepoint plan rollback <plan> <checkpoint:first> --yes" and it is killed at "rollback.after-safety"
    When I run "savepoint ops list --state interrupted --json"
    Then the run succeeds
    And the JSON "operations" has 1 item
    And the JSON "operations.0.kind" is "rollback"
    When I run "savepoint recover --dry-run"
    Then the run succeeds
    And stdout contains "Would recover rollback"
    And the sandbox matches the state "agent's work"
    When I run "savepoint recover"
    Then the run succeeds
    When I run "savepoint ops list --state recovered --json"
    Then the run succeeds
    And the JSON "operations.0.recovery" is "forward"

  Scenario: nothing to recover
    When I run "savepoint recover --json"
    Then the run succeeds
    And the JSON "operations" has 0 items

  Scenario Outline: ops show of an operation that does not exist (<output>)
    When I run "savepoint ops show 01JD3Q6Z5K8M2N4P6R8T0V2X4Y" <output>
    Then it fails with exit code 3 and error code "OPERATION_NOT_FOUND"
    And the error message contains "01JD3Q6Z5K8M2N4P6R8T0V2X4Y"

    Examples:
      | output        |
      | in human mode |
      | with --json   |
