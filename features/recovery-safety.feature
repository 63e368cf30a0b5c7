Feature: Recovery keeps what was saved after the interruption
  An interrupted rollback leaves the sandbox half rewritten, and the agent may go on editing
  it before anyone runs `savepoint recover`. Before recover rewrites any file, forward or
  with --abort, it records the sandbox as it finds it as a new safety checkpoint, reports it
  (human output and `safetyCheckpointId` in --json), and `savepoint undo` returns to it.

  Background: a rollback killed half-way, then an edit and a new file saved
    Given a git repository
    And the repository has these committed files:
      | path       | content              |
      | src/app.js | console.log('v1');\n |
    And an active plan
    And the agent writes "console.log('v2');\n" to "src/app.js"
    And I run "savepoint plan rollback <plan> <checkpoint:first> --yes" and it is killed at "rollback.after-worktree"
    And the agent writes "console.log('saved after the crash');\n" to "src/app.js"
    And the agent writes "fresh\n" to "fresh.txt"
    And I note the state of the sandbox as "found"

  Scenario Outline: recover <flags> reports its safety checkpoint with --json, and undo returns to it
    When I run "savepoint recover <flags> --json"
    Then the run succeeds
    And the JSON "operations.0.recovery" is "<mode>"
    And the JSON "operations.0.safetyCheckpointId" is a ULID
    When I remember recover's safety checkpoint as "recover safety"
    Then the checkpoint "recover safety" is the plan's latest checkpoint, a safety checkpoint
    And the checkpoint "recover safety" holds "console.log('saved after the crash');\n" in "src/app.js"
    And the checkpoint "recover safety" holds "fresh\n" in "fresh.txt"
    And "fresh.txt" does not exist
    And doctor reports the repository clean
    When I run "savepoint undo --yes --json"
    Then the run succeeds
    And the JSON "undone.safetyCheckpointId" is "<checkpoint:recover safety>"
    And the sandbox matches the state "found"

    Examples:
      | flags   | mode    |
      |         | forward |
      | --abort | abort   |

  Scenario Outline: recover <flags> names its safety checkpoint and the undo command in human mode
    When I run "savepoint recover <flags>"
    Then the run succeeds
    And stdout contains "holds the sandbox as recover found it"
    And stdout contains "undo with: savepoint undo --plan <plan> --yes"
    When I remember recover's safety checkpoint as "recover safety"
    Then the checkpoint "recover safety" is the plan's latest checkpoint, a safety checkpoint
    When I run "savepoint undo --yes"
    Then the run succeeds
    And stdout contains "back at checkpoint <checkpoint:recover safety>"
    And the sandbox matches the state "found"

    Examples:
      | flags   |
      |         |
      | --abort |

  Scenario: a dry run takes no safety checkpoint and says it would
    When I run "savepoint recover --dry-run --json"
    Then the run succeeds
    And the JSON "operations.0.safetyCheckpointId" is null
    And the sandbox matches the state "found"
    When I run "savepoint recover --json"
    Then the run succeeds
    And the JSON "operations.0.safetyCheckpointId" is a ULID
