Feature: Correction and undo
  `correction revert <decision>` rolls the sandbox back to the decision's checkpoint through
  the same rollback as `plan rollback` (same guards, same safety checkpoint, same report)
  and marks that decision and every later active decision of the plan reverted.
  `undo` undoes the latest rollback or correction: it rolls back to that rollback's safety
  checkpoint and re-activates the decisions it reverted. An undo is itself undoable.

  Background: an agent decided three times, working between decisions
    Given a git repository
    And the repository has these committed files:
      | path       | content         |
      | src/app.js | v1\n            |
      | .gitignore | *.log\n         |
    And a file "build.log" with the content "log\n"
    And an active plan
    And the agent writes "v2\n" to "src/app.js"
    And the agent writes "notes\r\nwith CRLF\r\n" to "notes.txt"
    And I note the state of the sandbox as "before parser"
    And the agent records the decision "parser"
    And the agent writes "v3\n" to "src/app.js"
    And the agent makes "src/app.js" executable
    And the agent writes "lexer\n" to "src/lexer.js"
    And the agent stages "src/lexer.js"
    And I note the state of the sandbox as "before cache"
    And the agent records the decision "cache"
    And the agent deletes "notes.txt"
    And the agent writes "cache\n" to "src/cache.js"
    And I note the state of the sandbox as "before retry"
    And the agent records the decision "retry"
    And the agent writes "retry\n" to "src/retry.js"
    And the agent appends "more log\n" to "build.log"
    And I note the state of the sandbox as "latest work"

  Scenario: reverting a decision restores its checkpoint byte for byte and reverts it and every later one
    When I run "savepoint correction revert <decision:cache> --yes --json"
    Then the run succeeds
    And the sandbox matches the state "before cache" except "build.log"
    And the staged files are "src/lexer.js"
    And the file "src/app.js" is executable
    And the file "build.log" has the content "log\nmore log\n"
    And the JSON has the keys "restored, paths, safetyCheckpointId, dryRun, durationMs, decisionId, revertedDecisionIds"
    And the JSON "decisionId" is "<decision:cache>"
    And the JSON "checkpointId" is "<checkpoint:before cache>"
    And the JSON "revertedDecisionIds" names the decisions "cache, retry"
    And the JSON "restored" is {"added": 1, "modified": 0, "deleted": 2, "total": 3}
    And the decisions of the plan are:
      | summary | state    |
      | parser  | active   |
      | cache   | reverted |
      | retry   | reverted |
    And the plan's latest checkpoint is a "safety" checkpoint
    When I run "savepoint decision show <decision:retry> --json"
    Then the JSON "revertedBy" is "<checkpoint:safety>"

  Scenario: in human mode the correction shows the rollback report, the reverted decisions and the undo command
    When I run "savepoint correction revert <decision:parser> --yes"
    Then the run succeeds
    And stdout contains "Reverted decision <decision:parser>: rolled plan <plan> back to checkpoint <checkpoint:before parser>"
    And stdout contains "A  notes.txt"
    And stdout contains "decisions reverted: <decision:parser>, <decision:cache>, <decision:retry>"
    And stdout contains "undo with: savepoint undo --plan <plan> --yes"
    And the safety checkpoint on stdout is the latest checkpoint of the plan
    And the sandbox matches the state "before parser" except "build.log"

  Scenario: --dry-run previews files and decisions and changes nothing
    When I run "savepoint correction revert <decision:cache> --dry-run --json"
    Then the run succeeds
    And the JSON "dryRun" is true
    And the JSON "safetyCheckpointId" is null
    And the JSON "revertedDecisionIds" names the decisions "cache, retry"
    And the sandbox matches the state "latest work"
    And the decisions of the plan are:
      | summary | state  |
      | parser  | active |
      | cache   | active |
      | retry   | active |

  Scenario: undo brings back the files and the decisions; undo of the undo reverts them again
    Given I run "savepoint correction revert <decision:cache> --yes --json"
    And the run succeeds
    And I note the state of the sandbox as "corrected"
    When I run "savepoint undo --plan <plan> --yes --json"
    Then the run succeeds
    And the sandbox matches the state "latest work"
    And the JSON "reactivatedDecisionIds" names the decisions "cache, retry"
    And the JSON "revertedDecisionIds" names the decisions ""
    And the JSON "undone.rollbackTarget" is "<checkpoint:before cache>"
    And the decisions of the plan are:
      | summary | state  |
      | parser  | active |
      | cache   | active |
      | retry   | active |
    When I run "savepoint undo --plan <plan> --yes --json"
    Then the run succeeds
    And the sandbox matches the state "corrected"
    And the JSON "revertedDecisionIds" names the decisions "cache, retry"
    And the decisions of the plan are:
      | summary | state    |
      | parser  | active   |
      | cache   | reverted |
      | retry   | reverted |

  Scenario: undo without --plan works on the active plan of the current sandbox, in human mode too
    Given I run "savepoint correction revert <decision:retry> --yes --json"
    And the run succeeds
    When I run "savepoint undo --yes"
    Then the run succeeds
    And stdout contains "Undid the rollback to <checkpoint:before retry>"
    And stdout contains "decisions active again: <decision:retry>"
    And the sandbox matches the state "latest work"

  Scenario: undo also undoes a plain rollback, and leaves decisions as they are
    Given I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
    And the run succeeds
    When I run "savepoint undo --dry-run --json"
    Then the run succeeds
    And the JSON "undone.rollbackTarget" is "<checkpoint:first>"
    And the JSON "reactivatedDecisionIds" names the decisions ""
    When I run "savepoint undo --yes --json"
    Then the run succeeds
    And the sandbox matches the state "latest work"
    And the decisions of the plan are:
      | summary | state  |
      | parser  | active |
      | cache   | active |
      | retry   | active |

  Rule: every refusal changes nothing

    Scenario Outline: off a terminal a correction needs --yes (<output>)
      When I run "savepoint correction revert <decision:cache>" <output>
      Then it fails with exit code 8 and error code "CONFIRMATION_REQUIRED"
      And the sandbox matches the state "latest work"
      And the decisions of the plan are:
        | summary | state  |
        | parser  | active |
        | cache   | active |
        | retry   | active |

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a decision that is already reverted (<output>)
      Given I run "savepoint correction revert <decision:cache> --yes --json"
      And the run succeeds
      And I note the state of the sandbox as "corrected"
      When I run "savepoint correction revert <decision:retry> --yes" <output>
      Then it fails with exit code 4 and error code "DECISION_NOT_ACTIVE"
      And the error message contains "already reverted"
      And the sandbox matches the state "corrected"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: an unknown decision (<output>)
      When I run "savepoint correction revert 01ARZ3NDEKTSV4RRFFQ69G5FAV --yes" <output>
      Then it fails with exit code 3 and error code "DECISION_NOT_FOUND"
      And the sandbox matches the state "latest work"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a plan that was applied (<output>)
      Given the plan is applied
      When I run "savepoint correction revert <decision:cache> --yes" <output>
      Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
      And the sandbox matches the state "latest work"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: nothing to undo (<output>)
      When I run "savepoint undo --plan <plan> --yes" <output>
      Then it fails with exit code 4 and error code "NOTHING_TO_UNDO"
      And the sandbox matches the state "latest work"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: undo without --plan where no plan is active (<output>)
      Given the plan is abandoned
      When I run "savepoint undo --yes" <output>
      Then it fails with exit code 3 and error code "NO_ACTIVE_PLAN"
      And the error message contains "has no active plan"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: off a terminal an undo needs --yes (<output>)
      Given I run "savepoint correction revert <decision:cache> --yes --json"
      And the run succeeds
      And I note the state of the sandbox as "corrected"
      When I run "savepoint undo" <output>
      Then it fails with exit code 8 and error code "CONFIRMATION_REQUIRED"
      And the sandbox matches the state "corrected"

      Examples:
        | output        |
        | in human mode |
        | with --json   |
