Feature: Checkpoint metadata, history and differences
  A checkpoint records who took it and why (reason, tool, phase, a resource, free-form
  key=value pairs) and what it changed (files changed, size of new content). Agents find
  checkpoints by tool, phase and age, and see what changed between two of them, or since one.

  Background:
    Given a git repository
    And the repository has these committed files:
      | path  | content       |
      | a.txt | one\ntwo\n    |
      | b.txt | keep me\n     |
    And an active plan

  Rule: metadata and accounting are recorded with the checkpoint

    Scenario: --meta pairs and --resource are stored and shown
      Given the agent writes "one\nTWO\n" to "a.txt"
      When I run "savepoint checkpoint create --plan <plan> --tool Edit --resource a.txt --meta ticket=PAR-12 --meta query=a=b --json"
      Then the run succeeds
      And the JSON "resourceId" is "a.txt"
      And the JSON "metadata" is {"kind": "manual", "tool": "Edit", "meta": {"ticket": "PAR-12", "query": "a=b"}}
      When I run "savepoint checkpoint show <checkpoint:latest>"
      Then the run succeeds
      And stdout has a line matching "^resource +a\.txt$"
      And stdout has a line matching "^meta ticket +PAR-12$"
      And stdout has a line matching "^meta query +a=b$"

    Scenario: files changed and the size of new content are measured against the previous checkpoint
      Given the agent writes "one\nTWO\nthree\n" to "a.txt"
      And the agent writes "new\n" to "c.txt"
      And the agent deletes "b.txt"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "filesChanged" is 3
      And the JSON "sizeBytes" is 18
      When I run "savepoint checkpoint list --plan <plan>"
      Then the run succeeds
      And stdout has a line matching "^# +CHECKPOINT +AGE +TYPE +KIND +FILES +SIZE +REASON / TOOL$"
      And stdout has a line matching "^1 +<checkpoint:first> +\d+s ago +commit +initial +0 +0 B +plan created$"
      And stdout has a line matching "^2 +<checkpoint:latest> +\d+s ago +commit +manual +3 +18 B$"

    Scenario Outline: metadata that breaks a rule is refused and nothing is recorded (<meta>, <output>)
      Given the agent writes "changed\n" to "a.txt"
      And I note the state of the sandbox
      When I run "savepoint checkpoint create --plan <plan> --meta <meta>" <output>
      Then it fails with exit code 2 and error code "METADATA_INVALID"
      And the error message contains "<message>"
      And the plan has 1 checkpoint
      And the sandbox is unchanged

      Examples:
        | meta          | output        | message                 |
        | 'bad key=1'   | in human mode | keys are 1-64           |
        | 'bad key=1'   | with --json   | keys are 1-64           |
        | kind=forged   | in human mode | reserved key            |
        | tool=forged   | with --json   | reserved key            |
        | no-equals     | in human mode | is not KEY=VALUE        |
        | no-equals     | with --json   | is not KEY=VALUE        |

  Rule: checkpoint list filters by tool, phase, age and count

    Background:
      Given the agent writes "1\n" to "a.txt"
      And the agent takes a checkpoint "edit-1" with "--tool Edit --phase edit"
      And the agent writes "2\n" to "a.txt"
      And the agent takes a checkpoint "bash" with "--tool Bash --phase test"
      And the agent writes "3\n" to "a.txt"
      And the agent takes a checkpoint "edit-2" with "--tool Edit --phase test"

    Scenario: --tool and --phase match exactly and combine
      When I run "savepoint checkpoint list --plan <plan> --tool Edit --json"
      Then the run succeeds
      And the JSON "checkpoints" lists "checkpointId" as ["<checkpoint:edit-1>", "<checkpoint:edit-2>"]
      When I run "savepoint checkpoint list --plan <plan> --phase test --json"
      Then the run succeeds
      And the JSON "checkpoints" lists "checkpointId" as ["<checkpoint:bash>", "<checkpoint:edit-2>"]
      When I run "savepoint checkpoint list --plan <plan> --tool Edit --phase test --json"
      Then the run succeeds
      And the JSON "checkpoints" lists "checkpointId" as ["<checkpoint:edit-2>"]
      When I run "savepoint checkpoint list --plan <plan> --tool edit --json"
      Then the run succeeds
      And the JSON "checkpoints" has 0 items

    Scenario: --limit keeps the most recent, listed oldest first
      When I run "savepoint checkpoint list --plan <plan> --limit 2 --json"
      Then the run succeeds
      And the JSON "checkpoints" lists "seq" as [3, 4]
      When I run "savepoint checkpoint list --plan <plan> --tool Edit --limit 1"
      Then the run succeeds
      And stdout contains "<checkpoint:edit-2>"
      And stdout does not contain "<checkpoint:edit-1>"

    Scenario: --since takes a duration or an ISO-8601 date
      Given the checkpoint "first" was taken 3 days ago
      And the checkpoint "edit-1" was taken 2 days ago
      When I run "savepoint checkpoint list --plan <plan> --since 24h --json"
      Then the run succeeds
      And the JSON "checkpoints" lists "checkpointId" as ["<checkpoint:bash>", "<checkpoint:edit-2>"]
      When I run "savepoint checkpoint list --plan <plan> --since 60h --json"
      Then the run succeeds
      And the JSON "checkpoints" lists "seq" as [2, 3, 4]
      When I run "savepoint checkpoint list --plan <plan> --since 2000-01-01 --json"
      Then the run succeeds
      And the JSON "checkpoints" has 4 items

    Scenario Outline: a bad --since or --limit is a usage error (<flag>, <output>)
      When I run "savepoint checkpoint list --plan <plan> <flag>" <output>
      Then it fails with exit code 2 and error code "USAGE"
      And the error message contains "<message>"

      Examples:
        | flag              | output        | message                  |
        | --since yesterday | in human mode | --since must be a duration |
        | --since 24x       | with --json   | --since must be a duration |
        | --limit 0         | in human mode | limit                    |
        | --limit many      | with --json   | limit                    |

  Rule: checkpoint show --stat / --diff and checkpoint diff tell what changed

    Background:
      Given the agent writes "one\nTWO\nthree\n" to "a.txt"
      And the agent writes "new\n" to "c.txt"
      And the agent deletes "b.txt"
      And the agent takes a checkpoint "second"

    Scenario: --stat counts lines per path against the previous checkpoint
      When I run "savepoint checkpoint show <checkpoint:second> --stat --json"
      Then the run succeeds
      And the JSON "comparedWith" is {"checkpointId": "<checkpoint:first>", "seq": 1, "baseCommit": null}
      And the JSON "stat" is [{"path": "a.txt", "change": "modified", "added": 2, "removed": 1, "binary": false}, {"path": "b.txt", "change": "deleted", "added": 0, "removed": 1, "binary": false}, {"path": "c.txt", "change": "added", "added": 1, "removed": 0, "binary": false}]
      When I run "savepoint checkpoint show <checkpoint:second> --stat"
      Then the run succeeds
      And stdout has a line matching "^M +a\.txt +2 +1$"
      And stdout contains "3 paths changed since #1 <checkpoint:first>, 3 lines added, 2 removed"

    Scenario: --diff prints the patch, and puts it in the JSON as a string
      When I run "savepoint checkpoint show <checkpoint:second> --diff"
      Then the run succeeds
      And stdout has a line matching "^diff --git a/a\.txt b/a\.txt$"
      And stdout has a line matching "^\+TWO$"
      And stdout has a line matching "^-keep me$"
      When I run "savepoint checkpoint show <checkpoint:second> --diff --json"
      Then the run succeeds
      And the JSON "diff" is not null
      And the JSON "checkpointId" is "<checkpoint:second>"

    Scenario: checkpoint diff names the paths and counts between two checkpoints
      When I run "savepoint checkpoint diff <checkpoint:first> <checkpoint:second> --json"
      Then the run succeeds
      And the JSON "from" is "<checkpoint:first>"
      And the JSON "to" is "<checkpoint:second>"
      And the JSON "changes" lists these changes:
        | path  | change   |
        | a.txt | modified |
        | b.txt | deleted  |
        | c.txt | added    |
      And the JSON "counts" is {"added": 1, "modified": 1, "deleted": 1, "total": 3}
      When I run "savepoint checkpoint diff <checkpoint:first> <checkpoint:second>"
      Then the run succeeds
      And stdout has a line matching "^D\tb\.txt$"
      And stdout contains "3 paths differ from <checkpoint:first> to <checkpoint:second>: 1 added, 1 modified, 1 deleted"

    Scenario: without a second checkpoint, checkpoint diff compares with the sandbox as it is now and leaves it alone
      Given the agent writes "later\n" to "d.txt"
      And I note the state of the sandbox
      When I run "savepoint checkpoint diff <checkpoint:second> --json"
      Then the run succeeds
      And the JSON "to" is "sandbox"
      And the JSON "changes" lists these changes:
        | path  | change |
        | d.txt | added  |
      And the sandbox is unchanged
      And the plan has 2 checkpoints

    Scenario Outline: checkpoints of two different plans cannot be compared (<output>)
      Given a second plan "other" on a linked worktree
      When I run "savepoint checkpoint diff <checkpoint:second> <checkpoint:first of other>" <output>
      Then it fails with exit code 4 and error code "CHECKPOINT_NOT_IN_PLAN"
      And the error message contains "belongs to plan <plan:other>"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: an unknown checkpoint cannot be compared or shown (<command>, <output>)
      When I run "<command>" <output>
      Then it fails with exit code 3 and error code "CHECKPOINT_NOT_FOUND"

      Examples:
        | command                                                              | output        |
        | savepoint checkpoint diff 01ARZ3NDEKTSV4RRFFQ69G5FAV                  | in human mode |
        | savepoint checkpoint diff <checkpoint:first> 01ARZ3NDEKTSV4RRFFQ69G5FAV | with --json   |
        | savepoint checkpoint show 01ARZ3NDEKTSV4RRFFQ69G5FAV --stat           | with --json   |
