Feature: Retention, pruning and gc
  A plan keeps at most its policy's retention.max checkpoints (default 50). After every new
  checkpoint the oldest ones are pruned (row and ref), but never the first checkpoint, the
  most recent one, the safety checkpoint of the latest rollback or the checkpoint that
  rollback restored. `checkpoint prune` does the same on demand; `gc` removes refs under
  refs/savepoint/ that no checkpoint owns and checkpoints whose plan is gone.

  Background:
    Given a git repository

  Scenario: with retention 5, 200 checkpoints leave exactly 5, and every survivor restores exactly
    Given I run "savepoint plan create --retention-max 5 --json"
    And the run succeeds
    When the agent takes 100 checkpoints of different states through the library
    And I remember the 3rd checkpoint of the plan as "target"
    And the agent writes "not checkpointed yet\n" to "counter.txt"
    And I run "savepoint plan rollback <plan> <checkpoint:target> --yes --json"
    Then the run succeeds
    When the agent takes 100 checkpoints of different states through the library
    And I run "savepoint checkpoint list --plan <plan> --json"
    Then the JSON "checkpoints" has 5 items
    And the JSON "checkpoints[0].seq" is 1
    And the JSON "checkpoints[4].seq" is 202
    And the plan keeps the checkpoints "first, target, safety"
    And the refs under refs/savepoint/ are exactly the plans' checkpoints
    When I run "savepoint plan policy set <plan> --retention-max 50 --json"
    Then the run succeeds
    And rolling back to every checkpoint of the plan restores its tree exactly

  Scenario: a new checkpoint reports what retention pruned
    Given I run "savepoint plan create --retention-max 2 --json"
    And the run succeeds
    And the agent writes "second\n" to "README.md"
    And the agent takes a checkpoint "second"
    And the agent writes "third\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the JSON "prunedCheckpointIds" is ["<checkpoint:second>"]
    And the plan no longer has the checkpoint "second"
    And the refs under refs/savepoint/ are exactly the plans' checkpoints
    Given the agent writes "fourth\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan>"
    Then the run succeeds
    And stdout contains "pruned 1 old checkpoint (retention)"

  Rule: checkpoint prune

    Background:
      Given an active plan
      And the agent writes "a\n" to "README.md"
      And the agent takes a checkpoint "a"
      And the agent writes "b\n" to "README.md"
      And the agent takes a checkpoint "b"
      And the agent writes "c\n" to "README.md"
      And the agent takes a checkpoint "c"

    Scenario: --dry-run reports what would go and changes nothing
      When I run "savepoint checkpoint prune --plan <plan> --keep 2 --dry-run --json"
      Then the run succeeds
      And the JSON "dryRun" is true
      And the JSON "pruned" lists "checkpointId" as ["<checkpoint:a>", "<checkpoint:b>"]
      And the JSON "remaining" is 2
      And the plan has 4 checkpoints
      And the ref of checkpoint "a" exists

    Scenario: prune keeps the first and the latest and deletes the others' refs
      When I run "savepoint checkpoint prune --plan <plan> --keep 2 --json"
      Then the run succeeds
      And the JSON "pruned" lists "seq" as [2, 3]
      And the plan keeps the checkpoints "first, c"
      And the plan has 2 checkpoints
      And the refs under refs/savepoint/ are exactly the plans' checkpoints

    Scenario: in human mode prune lists the pruned checkpoints
      When I run "savepoint checkpoint prune --plan <plan> --keep 3"
      Then the run succeeds
      And stdout contains "Pruned 1 checkpoint of plan <plan> (keep 3); 3 remain"
      And stdout contains "#2 <checkpoint:a>"

    Scenario: without --keep, prune keeps the policy's retention.max
      When I run "savepoint checkpoint prune --plan <plan> --json"
      Then the run succeeds
      And the JSON "keep" is 50
      And the JSON "pruned" has 0 items

    Scenario Outline: prune refuses a bad --keep and an unknown plan (<output>)
      When I run "savepoint checkpoint prune <args>" <output>
      Then it fails with exit code <exit> and error code "<code>"
      And the plan has 4 checkpoints

      Examples:
        | args                                      | output        | exit | code           |
        | --plan <plan> --keep 0                    | in human mode | 2    | USAGE          |
        | --plan <plan> --keep 0                    | with --json   | 2    | USAGE          |
        | --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y         | in human mode | 3    | PLAN_NOT_FOUND |
        | --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y         | with --json   | 3    | PLAN_NOT_FOUND |

  Rule: prune needs the plan's repository

    Scenario Outline: prune of a plan whose sandbox is gone fails and prunes nothing (<output>)
      Given an active plan on a linked worktree
      And the agent writes "a\n" to "<sandbox>/README.md"
      And the agent takes a checkpoint "a"
      And the agent writes "b\n" to "<sandbox>/README.md"
      And the agent takes a checkpoint "b"
      When the plan's sandbox directory is deleted
      And I run "savepoint checkpoint prune --plan <plan> --keep 2" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the plan has 3 checkpoints

      Examples:
        | output        |
        | in human mode |
        | with --json   |

  Rule: gc

    Background:
      Given an active plan

    @leaves-damage
    Scenario: gc removes a ref no checkpoint owns and leaves a recent one alone
      Given a ref "stale" that no checkpoint owns, made 60 minutes ago
      And a ref "fresh" that no checkpoint owns, made 1 minutes ago
      When I run "savepoint gc --dry-run --json"
      Then the run succeeds
      And the JSON "removedRefs" has 1 item
      And the JSON "recentRefs" is ["refs/savepoint/<plan>/<checkpoint:fresh>"]
      When I run "savepoint gc --json"
      Then the run succeeds
      And the JSON "removedRefs" has 1 item
      And the JSON "removedRefs[0].ref" is "refs/savepoint/<plan>/<checkpoint:stale>"
      And the JSON "recentRefs" is ["refs/savepoint/<plan>/<checkpoint:fresh>"]
      And the ref of checkpoint "stale" is gone
      And the ref of checkpoint "first" exists

    Scenario: gc removes the checkpoints of a plan that is gone, and their refs
      Given the plan is applied
      When the plan's row is deleted from the database behind savepoint's back
      And I run "savepoint gc"
      Then the run succeeds
      And stdout contains "Removed 1 unowned ref and 1 checkpoint whose plan is gone"
      And the ref of checkpoint "first" is gone
      When I run "savepoint gc --json"
      Then the run succeeds
      And the JSON "" is {"dryRun": false, "removedRefs": [], "removedCheckpoints": [], "recentRefs": []}

    Scenario Outline: gc outside a git worktree fails (<output>)
      Given an empty directory "<tmp>/elsewhere"
      When I run "savepoint gc" in "<tmp>/elsewhere" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"

      Examples:
        | output        |
        | in human mode |
        | with --json   |
