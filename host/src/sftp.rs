//! The `sftp` host import, implemented on [`SftpView`]: the driver's file
//! operations, each run on the one session its grant holds
//! ([`crate::sftp_session`]: the grant, the connection, the symlink checks).
//! Every path is confined to the granted folder first; open files are
//! `SftpFile` resources in the view's table.

use crate::bindings::trove::driver::sftp::{self as wit_sftp, Attrs, DirEntry, OpenFlags};
use crate::bindings::wit;
use crate::sftp_session::{attrs, ssh_string, status_ok, SftpFile, SftpGrant};
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{FileAttributes, OpenFlags as SftpOpenFlags, StatusCode};
use wasmtime::component::{HasData, Resource, ResourceTable};

type Wit<T> = wasmtime::Result<std::result::Result<T, wit::Error>>;

/// What the `sftp` import sees of the store: the resource table (open
/// files) and the grant.
pub(crate) struct SftpView<'a> {
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) grant: Option<&'a SftpGrant>,
}

/// The `sftp` import's [`HasData`]: its functions get an [`SftpView`].
pub(crate) struct SftpImport;

impl HasData for SftpImport {
    type Data<'a> = SftpView<'a>;
}

/// The WIT `file` handle of an [`SftpFile`] in the table, and back.
fn handle_of(r: Resource<SftpFile>) -> Resource<wit_sftp::File> {
    Resource::new_own(r.rep())
}

fn file(r: &Resource<wit_sftp::File>) -> Resource<SftpFile> {
    Resource::new_borrow(r.rep())
}

impl SftpView<'_> {
    fn sftp_grant(&self) -> std::result::Result<SftpGrant, wit::Error> {
        self.grant.cloned().ok_or_else(|| {
            wit::Error::PermissionDenied(
                "this driver has no sftp grant (only sftp:// DSNs get one)".into(),
            )
        })
    }

    fn sftp_path(&self, path: &str) -> std::result::Result<SftpGrant, wit::Error> {
        let g = self.sftp_grant()?;
        g.confine(path)?;
        Ok(g)
    }

    fn sftp_file(&self, f: &Resource<wit_sftp::File>) -> wasmtime::Result<&SftpFile> {
        Ok(self.table.get(&file(f))?)
    }
}

impl wit_sftp::Host for SftpView<'_> {
    async fn open(&mut self, path: String, mode: OpenFlags) -> Wit<Resource<wit_sftp::File>> {
        let g = match self.sftp_path(&path) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        let mut flags = SftpOpenFlags::empty();
        for (ours, theirs) in [
            (OpenFlags::READ, SftpOpenFlags::READ),
            (OpenFlags::WRITE, SftpOpenFlags::WRITE),
            (OpenFlags::CREATE, SftpOpenFlags::CREATE),
            (OpenFlags::TRUNCATE, SftpOpenFlags::TRUNCATE),
            (OpenFlags::EXCLUSIVE, SftpOpenFlags::EXCLUDE),
        ] {
            if mode.contains(ours) {
                flags |= theirs;
            }
        }
        let opened = g
            .run("open", &[&path], |c, _| {
                let path = path.clone();
                async move {
                    let h = c.sftp.open(path, flags, FileAttributes::default()).await?;
                    Ok((c, h.handle))
                }
            })
            .await;
        match opened {
            Ok((conn, handle)) => Ok(Ok(handle_of(self.table.push(SftpFile {
                conn,
                handle,
                path,
                open: true,
            })?))),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn stat(&mut self, path: String) -> Wit<Attrs> {
        let g = match self.sftp_path(&path) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        // The check's lstat of the path is its stat (it is no link), unless
        // the path is the root, which is not checked.
        Ok(g.run("stat", &[&path], |c, seen| {
            let path = path.clone();
            async move {
                match seen {
                    Some(Some(a)) => Ok(attrs(&a)),
                    Some(None) => Err(SftpError::Status(russh_sftp::protocol::Status {
                        id: 0,
                        status_code: StatusCode::NoSuchFile,
                        error_message: "No such file".into(),
                        language_tag: "en-US".into(),
                    })),
                    None => c.sftp.stat(path).await.map(|a| attrs(&a.attrs)),
                }
            }
        })
        .await)
    }

    async fn readdir(&mut self, path: String) -> Wit<Vec<DirEntry>> {
        let g = match self.sftp_path(&path) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        Ok(g.run("readdir", &[&path], |c, _| {
            let path = path.clone();
            async move {
                let h = c.sftp.opendir(path).await?.handle;
                let mut out = Vec::new();
                let listed = loop {
                    match c.sftp.readdir(h.as_str()).await {
                        Ok(name) => out.extend(
                            name.files
                                .into_iter()
                                .filter(|f| f.filename != "." && f.filename != "..")
                                .map(|f| DirEntry {
                                    attrs: attrs(&f.attrs),
                                    name: f.filename,
                                }),
                        ),
                        Err(SftpError::Status(s)) if s.status_code == StatusCode::Eof => {
                            break Ok(())
                        }
                        Err(e) => break Err(e),
                    }
                };
                let _ = c.sftp.close(h).await;
                listed.map(|_| out)
            }
        })
        .await)
    }

    async fn mkdir(&mut self, path: String) -> Wit<()> {
        let g = match self.sftp_path(&path) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        Ok(g.run("mkdir", &[&path], |c, _| {
            let path = path.clone();
            async move {
                c.sftp
                    .mkdir(path, FileAttributes::default())
                    .await
                    .map(|_| ())
            }
        })
        .await)
    }

    async fn rename(&mut self, src: String, dst: String) -> Wit<()> {
        let g = match self.sftp_path(&src).and_then(|_| self.sftp_path(&dst)) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        Ok(g.run("rename", &[&src, &dst], |c, _| {
            let (src, dst) = (src.clone(), dst.clone());
            async move {
                if c.posix_rename {
                    // Replaces an existing destination atomically (rename(2)).
                    let mut data = Vec::new();
                    ssh_string(&mut data, &src);
                    ssh_string(&mut data, &dst);
                    status_ok(c.sftp.extended("posix-rename@openssh.com", data).await?)
                } else {
                    c.sftp.rename(src, dst).await.map(|_| ())
                }
            }
        })
        .await)
    }

    async fn remove(&mut self, path: String) -> Wit<()> {
        let g = match self.sftp_path(&path) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        Ok(g.run("remove", &[&path], |c, _| {
            let path = path.clone();
            async move { c.sftp.remove(path).await.map(|_| ()) }
        })
        .await)
    }

    async fn rmdir(&mut self, path: String) -> Wit<()> {
        let g = match self.sftp_path(&path) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        Ok(g.run("rmdir", &[&path], |c, _| {
            let path = path.clone();
            async move { c.sftp.rmdir(path).await.map(|_| ()) }
        })
        .await)
    }
}

impl wit_sftp::HostFile for SftpView<'_> {
    async fn read(&mut self, f: Resource<wit_sftp::File>, offset: u64, max: u32) -> Wit<Vec<u8>> {
        Ok(self.sftp_file(&f)?.read(offset, max).await)
    }

    async fn write(&mut self, f: Resource<wit_sftp::File>, offset: u64, data: Vec<u8>) -> Wit<()> {
        Ok(self.sftp_file(&f)?.write(offset, &data).await)
    }

    async fn close(&mut self, f: Resource<wit_sftp::File>) -> Wit<()> {
        Ok(self.table.get_mut(&file(&f))?.close().await)
    }

    async fn drop(&mut self, f: Resource<wit_sftp::File>) -> wasmtime::Result<()> {
        let mut file = self.table.delete(Resource::<SftpFile>::new_own(f.rep()))?;
        if let Err(e) = file.close().await {
            tracing::debug!(target: "trove::sftp", "closing on drop: {e:?}");
        }
        Ok(())
    }
}
