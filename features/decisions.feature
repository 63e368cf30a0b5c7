Feature: Decisions
  An agent records its decisions: `decision record --plan P --summary S` links each one to
  the checkpoint taken just before it (taking one now unless `--checkpoint` names one of the
  plan's). `decision list` and `decision show` read them back. While a decision is active,
  retention never prunes its checkpoint.

  Background:
    Given a git repository
    And the repository has these committed files:
      | path       | content |
      | parser.txt | v1\n    |
    And an active plan

  Scenario: recording a decision takes a checkpoint of the sandbox now
    Given the agent writes "v2\n" to "parser.txt"
    When I run "savepoint decision record --plan <plan> --summary 'use a hand-written parser' --json"
    Then the run succeeds
    And the JSON has the keys "decisionId, checkpointId, planId, summary, state, createdAt, deduplicated"
    And the JSON "decisionId" is a ULID
    And the JSON "state" is "active"
    And the JSON "summary" is "use a hand-written parser"
    And the JSON "deduplicated" is false
    And the JSON "createdAt" is an ISO timestamp
    And the plan has 2 checkpoints
    When I remember the checkpoint as "decided"
    And I run "savepoint checkpoint show <checkpoint:decided> --json"
    Then the run succeeds
    And the JSON "metadata.reason" is "decision: use a hand-written parser"

  Scenario: a second decision with nothing changed reuses the same checkpoint
    Given the agent records the decision "first"
    When I run "savepoint decision record --plan <plan> --summary second --json"
    Then the run succeeds
    And the JSON "deduplicated" is true
    And the JSON "checkpointId" is "<checkpoint:before first>"
    And the JSON "checkpointId" is "<checkpoint:first>"
    And the plan has 1 checkpoint

  Scenario: --checkpoint links the decision to an earlier checkpoint and takes none
    Given the agent writes "v2\n" to "parser.txt"
    When I run "savepoint decision record --plan <plan> --summary 'start from scratch' --checkpoint <checkpoint:first> --json"
    Then the run succeeds
    And the JSON "checkpointId" is "<checkpoint:first>"
    And the JSON has the keys "decisionId, planId, state"
    And the plan has 1 checkpoint

  Scenario: in human mode record says which checkpoint it used and how to revert
    When I run "savepoint decision record --plan <plan> --summary 'keep the lexer'"
    Then the run succeeds
    And stdout contains "Decision #1"
    And stdout contains "(reused: nothing changed since it)"
    And stdout contains "revert with: savepoint correction revert"

  Scenario: list shows decisions in the order they were recorded, optionally by state
    Given the agent writes "v2\n" to "parser.txt"
    And the agent records the decision "one"
    And the agent writes "v3\n" to "parser.txt"
    And the agent records the decision "two"
    And the agent writes "v4\n" to "parser.txt"
    And the agent records the decision "three"
    And I run "savepoint correction revert <decision:three> --yes --json"
    And the run succeeds
    When I run "savepoint decision list --plan <plan> --json"
    Then the run succeeds
    And the JSON "decisions" lists "summary" as ["one", "two", "three"]
    And the JSON "decisions" lists "state" as ["active", "active", "reverted"]
    When I run "savepoint decision list --plan <plan> --state active --json"
    Then the JSON "decisions" lists "decisionId" as ["<decision:one>", "<decision:two>"]
    When I run "savepoint decision list --plan <plan>"
    Then the run succeeds
    And stdout contains "STATE"
    And stdout contains "reverted"

  Scenario: show prints one decision
    Given the agent records the decision "one"
    When I run "savepoint decision show <decision:one> --json"
    Then the run succeeds
    And the JSON "decisionId" is "<decision:one>"
    And the JSON "checkpointId" is "<checkpoint:before one>"
    And the JSON "revertedBy" is null
    When I run "savepoint decision show <decision:one>"
    Then the run succeeds
    And stdout contains "summary"
    And stdout contains "one"

  Rule: the checkpoints of active decisions are pinned against retention

    Scenario: decisions on early checkpoints keep them; a reverted decision no longer pins
      Given the plan's retention is 3
      And the agent writes "v2\n" to "parser.txt"
      And the agent records the decision "early"
      And the agent writes "v3\n" to "parser.txt"
      And the agent records the decision "bad idea"
      And the agent writes "v4\n" to "parser.txt"
      And the agent takes a checkpoint "c4"
      And the agent writes "v5\n" to "parser.txt"
      And the agent takes a checkpoint "c5"
      And the agent writes "v6\n" to "parser.txt"
      And the agent takes a checkpoint "c6"
      Then the plan keeps the checkpoints "first, before early, before bad idea, c6"
      And the plan no longer has the checkpoint "c4"
      # Reverted, but undoable: `undo` would re-activate it, so its checkpoint stays.
      When I run "savepoint correction revert <decision:bad idea> --yes --json"
      Then the run succeeds
      Given the agent writes "v7\n" to "parser.txt"
      And the agent takes a checkpoint "c7"
      Then the plan keeps the checkpoints "before bad idea"
      # Another rollback: the correction can no longer be undone, nothing pins that checkpoint.
      When I run "savepoint plan rollback <plan> <checkpoint:c7> --yes --json"
      Then the run succeeds
      Given the agent writes "v8\n" to "parser.txt"
      And the agent takes a checkpoint "c8"
      And the agent writes "v9\n" to "parser.txt"
      And the agent takes a checkpoint "c9"
      Then the plan no longer has the checkpoint "before bad idea"
      And the plan keeps the checkpoints "first, before early"
      And the decision "bad idea" points to no checkpoint any more
      And the refs under refs/savepoint/ are exactly the plans' checkpoints
      When I run "savepoint checkpoint prune --plan <plan> --keep 1 --json"
      Then the run succeeds
      And the plan keeps the checkpoints "first, before early, c9"

  Rule: the agent loop of issue 6, through the CLI with --json

    Scenario: 20 checkpointed tool calls, 5 decisions, the 3rd reverted
      Given the plan's retention is 6
      When the agent makes 20 checkpointed tool calls through the CLI, recording a decision before every 4th
      And I run "savepoint correction revert <decision:call 12> --yes --json"
      Then the run succeeds
      And the JSON "revertedDecisionIds" names the decisions "call 12, call 16, call 20"
      And the sandbox matches the state "before call 12"
      And the decisions of the plan are:
        | summary | state    |
        | call 4  | active   |
        | call 8  | active   |
        | call 12 | reverted |
        | call 16 | reverted |
        | call 20 | reverted |
      And the plan keeps the checkpoints "first, call 4, call 8, call 12, call 16, call 20, safety"
      And the plan no longer has the checkpoint "call 5"
      And the refs under refs/savepoint/ are exactly the plans' checkpoints
      When I run "savepoint undo --yes --json"
      Then the run succeeds
      And the JSON "reactivatedDecisionIds" names the decisions "call 12, call 16, call 20"
      And the file "work.txt" has the content "after call 20\n"

  Rule: bad input is refused and nothing is recorded

    Scenario Outline: a checkpoint of another plan (<output>)
      Given a second plan "other" on a linked worktree
      When I run "savepoint decision record --plan <plan> --summary s --checkpoint <checkpoint:first of other>" <output>
      Then it fails with exit code 4 and error code "CHECKPOINT_NOT_IN_PLAN"
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: an unknown checkpoint (<output>)
      When I run "savepoint decision record --plan <plan> --summary s --checkpoint 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
      Then it fails with exit code 3 and error code "CHECKPOINT_NOT_FOUND"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: an unknown decision (<output>)
      When I run "savepoint decision show 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
      Then it fails with exit code 3 and error code "DECISION_NOT_FOUND"
      And the error message contains "decision 01ARZ3NDEKTSV4RRFFQ69G5FAV not found"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a plan that is no longer active (<output>)
      Given the plan is applied
      When I run "savepoint decision record --plan <plan> --summary late" <output>
      Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: an empty summary (<output>)
      When I run "savepoint decision record --plan <plan> --summary ' '" <output>
      Then it fails with exit code 2 and error code "USAGE"
      And the error message contains "summary"
      And the plan has 1 checkpoint
      When I run "savepoint decision list --plan <plan> --json"
      Then the JSON "decisions" has 0 items

      Examples:
        | output        |
        | in human mode |
        | with --json   |
