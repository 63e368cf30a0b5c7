Feature: Patch checkpoints and checkpoint export
  A patch checkpoint stores, in its own row, the binary diff from the plan's base commit to
  the snapshot (worktree and staged state), verified by re-applying it before it is
  recorded: no commit, no ref. Rollback rebuilds its trees from the patch and then works as
  for any checkpoint. `checkpoint export` writes either type of checkpoint as a patch that
  plain `git apply` applies on the plan's base commit.

  Background:
    Given a git repository

  Scenario: a patch checkpoint has no commit and no ref, and survives git gc --prune=now
    Given an active plan
    And the agent writes "changed\n" to "README.md"
    And the agent writes "new file\n" to "notes/new.txt"
    And the agent stages "notes/new.txt"
    And the agent writes "a\r\nb\r\n" to "crlf.txt"
    And the agent makes "crlf.txt" executable
    And the agent creates a symlink "link" pointing to "README.md"
    And a file "empty" with the content ""
    When I run "savepoint checkpoint create --plan <plan> --type patch --json"
    Then the run succeeds
    And the JSON "checkpointType" is "patch"
    And the JSON "sandboxRef" is null
    And the JSON "commitSha" is null
    And the JSON "sizeBytes" is a number
    And the refs under refs/savepoint/ are exactly the plans' checkpoints
    When I remember the checkpoint as "patched"
    And I note the state of the sandbox as "patched"
    And the agent writes "later\n" to "README.md"
    And the agent deletes "crlf.txt"
    And the agent deletes "link"
    And the agent writes "later\n" to "later.txt"
    And git gc prunes every object no ref reaches
    Then the worktree tree of checkpoint "patched" is gone from the object database
    When I run "savepoint plan rollback <plan> <checkpoint:patched> --yes --json"
    Then the run succeeds
    And the JSON "safetyCheckpointId" is a ULID
    And the sandbox matches the state "patched"
    And "git ls-files -s" prints the same as in the state "patched"
    And "git diff --cached" prints the same as in the state "patched"
    When I run "savepoint checkpoint show <checkpoint:safety> --json"
    Then the JSON "checkpointType" is "commit"

  Scenario: in human mode a patch checkpoint says its type
    Given an active plan
    And the agent writes "changed\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --type patch"
    Then the run succeeds
    And stdout contains "(patch, tree "

  Scenario: the plan policy's defaultType decides the type of checkpoints taken without --type
    Given an active plan
    When I run "savepoint plan policy set <plan> --default-type patch --json"
    Then the run succeeds
    And the JSON "policy.defaultType" is "patch"
    When I run "savepoint plan policy show <plan>"
    Then stdout contains "defaultType       patch"
    Given the agent writes "changed\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the JSON "checkpointType" is "patch"
    Given the agent writes "changed again\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --type commit --json"
    Then the JSON "checkpointType" is "commit"

  Scenario: plan create --default-type patch; checkpoint #1 is still a commit checkpoint
    When I run "savepoint plan create --default-type patch --json"
    Then the run succeeds
    And the JSON "policy.defaultType" is "patch"
    When I run "savepoint checkpoint show <checkpoint:first> --json"
    Then the JSON "checkpointType" is "commit"
    Given the agent writes "changed\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the JSON "checkpointType" is "patch"

  Scenario Outline: a bad checkpoint type is a usage error and changes nothing (<output>)
    Given an active plan
    And the agent writes "changed\n" to "README.md"
    When I run "<command>" <output>
    Then it fails with exit code 2 and error code "USAGE"
    And the plan has 1 checkpoint
    When I run "savepoint plan policy show <plan> --json"
    Then the JSON "policy.defaultType" is "commit"

    Examples:
      | command                                                 | output        |
      | savepoint checkpoint create --plan <plan> --type stash  | in human mode |
      | savepoint checkpoint create --plan <plan> --type stash  | with --json   |
      | savepoint plan policy set <plan> --default-type stash   | in human mode |
      | savepoint plan policy set <plan> --default-type stash   | with --json   |

  @leaves-damage
  Scenario Outline: a patch whose base commit is gone cannot be restored: exit 9, nothing changes (<output>)
    Given an active plan
    And the agent writes "patched\n" to "README.md"
    And the agent takes a patch checkpoint "patched"
    And the plan's base commit is rewritten and nothing keeps the old one alive
    And I note the state of the sandbox
    When I run "savepoint plan rollback <plan> <checkpoint:patched> --yes" <output>
    Then it fails with exit code 9 and error code "PATCH_DOES_NOT_APPLY"
    And the error message contains "cannot be restored: the plan's base commit"
    And the error message contains "is gone from the repository"
    And the sandbox is unchanged
    And the plan has 2 checkpoints

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  @leaves-damage
  Scenario Outline: a patch checkpoint cannot be taken when the base commit is gone (<output>)
    Given an active plan
    And the agent writes "patched\n" to "README.md"
    And the plan's base commit is rewritten and nothing keeps the old one alive
    When I run "savepoint checkpoint create --plan <plan> --type patch" <output>
    Then it fails with exit code 9 and error code "PATCH_DOES_NOT_APPLY"
    And the error message contains "cannot take a patch checkpoint of plan"
    And the plan has 1 checkpoint

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Rule: checkpoint export

    Background:
      Given an active plan
      And the agent writes "changed\n" to "README.md"
      And the agent writes "a\r\nb\r\n" to "crlf.txt"
      And the agent makes "crlf.txt" executable
      And the agent creates a symlink "link" pointing to "README.md"
      And a file "empty" with the content ""

    Scenario Outline: the exported patch of a <type> checkpoint applies with plain git apply in a fresh clone
      Given I run "savepoint checkpoint create --plan <plan> --type <type> --json"
      And the run succeeds
      And I remember the checkpoint as "<type>"
      When I run "savepoint checkpoint export <checkpoint:<type>> --output <tmp>/work.patch --json"
      Then the run succeeds
      And the JSON has the keys "checkpointId, planId, checkpointType, base, bytes, output"
      And the JSON "checkpointType" is "<type>"
      And the JSON "output" is "<tmp>/work.patch"
      And applying "<tmp>/work.patch" with plain git apply in a fresh clone at the plan's base commit gives the tree of checkpoint "<type>"

      Examples:
        | type   |
        | commit |
        | patch  |

    Scenario: without --output the patch goes to stdout and nothing else does
      Given the agent takes a patch checkpoint "patch"
      When I run "savepoint checkpoint export <checkpoint:patch>"
      Then the run succeeds
      And stdout contains "diff --git a/crlf.txt b/crlf.txt"
      And stdout contains "new file mode 120000"
      And stderr is empty

    Scenario: in human mode --output says where the patch went and how to apply it
      Given the agent takes a checkpoint "commit"
      When I run "savepoint checkpoint export <checkpoint:commit> --output <tmp>/work.patch"
      Then the run succeeds
      And stdout contains "to <tmp>/work.patch"
      And stdout contains "Apply it with: git apply"

    Scenario Outline: export refuses --json without --output, an unknown checkpoint and an unwritable file (<output>)
      Given the agent takes a checkpoint "commit"
      When I run "savepoint checkpoint export <args>" <output>
      Then it fails with exit code <exit> and error code "<code>"

      Examples:
        | args                                                       | output        | exit | code                 |
        | <checkpoint:commit>                                        | with --json   | 2    | USAGE                |
        | 01JD3QA1B2C3D4E5F6G7H8J9K0 --output <tmp>/x.patch          | in human mode | 3    | CHECKPOINT_NOT_FOUND |
        | 01JD3QA1B2C3D4E5F6G7H8J9K0 --output <tmp>/x.patch          | with --json   | 3    | CHECKPOINT_NOT_FOUND |
        | <checkpoint:commit> --output <tmp>/no/such/dir/x.patch     | in human mode | 2    | USAGE                |
        | <checkpoint:commit> --output <tmp>/no/such/dir/x.patch     | with --json   | 2    | USAGE                |

  Rule: retention with patch checkpoints

    Scenario Outline: with retention 5, 200 <kind> checkpoints leave exactly 5, and every survivor restores exactly
      Given I run "savepoint plan create --retention-max 5 --json"
      And the run succeeds
      When the agent takes 100 <kind> checkpoints of different states through the library
      And I remember the 3rd checkpoint of the plan as "target"
      And the agent writes "not checkpointed yet\n" to "counter.txt"
      And I run "savepoint plan rollback <plan> <checkpoint:target> --yes --json"
      Then the run succeeds
      When the agent takes 100 <kind> checkpoints of different states through the library
      And I run "savepoint checkpoint list --plan <plan> --json"
      Then the JSON "checkpoints" has 5 items
      And the JSON "checkpoints[0].seq" is 1
      And the JSON "checkpoints[4].seq" is 202
      And the plan keeps the checkpoints "first, target, safety"
      And the refs under refs/savepoint/ are exactly the plans' checkpoints
      When git gc prunes every object no ref reaches
      And I run "savepoint plan policy set <plan> --retention-max 50 --json"
      Then the run succeeds
      And rolling back to every checkpoint of the plan restores its tree exactly

      Examples:
        | kind   |
        | patch  |
        | mixed  |
