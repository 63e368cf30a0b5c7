Feature: Adversarial file-system states
  Nothing is ever read, moved or written through a symbolic link that leaves the sandbox;
  files a --force rollback moved aside come back with undo; names are captured exactly as the
  file system spells them; a name savepoint cannot handle exactly is refused before any change.

  Background:
    Given a git repository

  Scenario: a directory of the checkpoint that is now a symlink to a directory outside is recreated; nothing outside is touched
    Given the repository has these committed files:
      | path    | content |
      | d/a.txt | a       |
      | d/b.txt | b       |
    And an active plan
    And a file "<tmp>/outside/a.txt" with the content "OUTSIDE a"
    And a file "<tmp>/outside/c.txt" with the content "OUTSIDE c"
    And the agent deletes "d"
    And the agent creates a symlink "d" pointing to "<tmp>/outside"
    And I note the state of the directory "<tmp>/outside"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --force --yes --json"
    Then the run succeeds
    And the JSON "movedAside" has 0 items
    And the JSON "paths" lists these changes:
      | path    | change  |
      | d       | deleted |
      | d/a.txt | added   |
      | d/b.txt | added   |
    And the file "d/a.txt" has the content "a"
    And the directory "<tmp>/outside" is unchanged
    When I run "savepoint undo --yes --json"
    Then the run succeeds
    And "d" is a symlink to "<tmp>/outside"
    And the directory "<tmp>/outside" is unchanged

  Scenario Outline: undo of a --force rollback says where the moved-aside files are and puts them back (<output>)
    Given a file "build/out.txt" with the content "checkpoint content"
    And an active plan
    And the agent deletes "build"
    And a file ".gitignore" with the content "build/"
    And a file "build/out.txt" with the content "ignored, precious"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --force --yes --json"
    Then the run succeeds
    And the JSON "movedAside" lists "path" as ["build/out.txt"]
    And the file "build/out.txt" has the content "checkpoint content"
    When I run "savepoint undo --yes" <output>
    Then the run succeeds
    And <where>
    And the file "build/out.txt" has the content "ignored, precious"
    And the file ".gitignore" has the content "build/"

    Examples:
      | output        | where                                                     |
      | in human mode | stdout contains "put back build/out.txt ← "               |
      | with --json   | the JSON "returnedFromAside" lists "path" as ["build/out.txt"] |

  Scenario: core.ignoreCase=true on a case-sensitive file system: a rename README → readme plus an edit is in the checkpoint
    Given the repository sets "core.ignoreCase" to "true"
    And an active plan
    And the agent deletes "README.md"
    And a file "readme.md" with the content "renamed and edited"
    And the agent takes a checkpoint "renamed"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
    Then the run succeeds
    And the file "README.md" has the content "# demo\n"
    And "readme.md" does not exist
    When I run "savepoint plan rollback <plan> <checkpoint:renamed> --yes --json"
    Then the run succeeds
    And the file "readme.md" has the content "renamed and edited"
    And "README.md" does not exist

  Scenario Outline: a file name that is not UTF-8 is refused before any change (<output>)
    Given an active plan
    And an untracked file whose name is not UTF-8
    When I run "savepoint checkpoint create --plan <plan>" <output>
    Then it fails with exit code 4 and error code "PATH_NOT_UTF8"
    And the error message contains "not valid UTF-8"
    And the plan has 1 checkpoint
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
    Then it fails with exit code 4 and error code "PATH_NOT_UTF8"
    And the plan has 1 checkpoint
    And the file whose name is not UTF-8 is still there

    Examples:
      | output        |
      | in human mode |
      | with --json   |
